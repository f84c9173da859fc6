import type { RedriveResult } from '../../admin/dlq/redrive-dlq.ts';
import type { FailureGroup } from '../../admin/failure-groups.ts';
import type { ImportProgress } from '../../admin/import-progress.ts';
import type { ProductPage } from '../../admin/list-products.ts';
import type { PresignedUpload } from '../../admin/presign-upload.ts';
import type { RequeueResult } from '../../admin/requeue-failed.ts';
import type { ScheduleStatus, TriggerResult } from '../../admin/schedule/schedule-control.ts';
import type { StatusReport } from '../../admin/status.ts';
import type { SupplierListing } from '../../admin/suppliers/list-suppliers.ts';
import type { SupplierSettingsChange } from '../../admin/suppliers/supplier-settings.ts';
import type { SupplierSettingsUpdate } from '../../admin/suppliers/update-supplier-settings.ts';
import type { UploadResult } from '../../admin/upload-spreadsheet.ts';
import type { SpreadsheetPreview } from '../../catalog/preview-spreadsheet.ts';
import type { FeedFetchResult } from '../../feeds/fetch-supplier-feed.ts';

/** A server result as it arrives over JSON: dates are ISO strings. */
export type Json<T> = T extends Date
  ? string
  : T extends ReadonlyArray<infer U>
    ? Array<Json<U>>
    : T extends object
      ? { [K in keyof T]: Json<T[K]> }
      : T;

/** What each endpoint the page calls answers (see src/web/admin-app.ts). */
export type Imports = Json<ImportProgress[]>;
export type FailureGroups = Json<FailureGroup[]>;
export type Status = Json<StatusReport>;
export type Schedule = Json<ScheduleStatus>;
export type Trigger = Json<TriggerResult>;
export type Redrive = Json<RedriveResult>;
export type Requeue = Json<RequeueResult>;
/** With "import now" behind API Gateway, `run`: the tick asked for instead of importing in the request. */
export type Upload = Json<UploadResult & { run?: TriggerResult }>;
export type Presigned = Json<PresignedUpload>;
export type Suppliers = Json<SupplierListing[]>;
export type SupplierUpdate = Json<SupplierSettingsUpdate>;
export type SettingsChange = SupplierSettingsChange;
export type Preview = Json<SpreadsheetPreview>;
export type Products = Json<ProductPage>;
export type FeedFetch = Json<FeedFetchResult>;
