import { api, send } from './api.ts';
import type { Presigned, Preview, Upload } from './api-types.ts';
import { byId } from './dom.ts';
import { act } from './message.ts';
import { hidePreview, renderPreview } from './preview-panel.ts';

interface Chosen {
  supplier: string;
  file: File;
}

function chosen(): Chosen | undefined {
  const form = byId<HTMLFormElement>('upload-form');
  if (!form.reportValidity()) return undefined;
  const file = byId<HTMLInputElement>('upload-file').files?.[0];
  return file && { supplier: byId<HTMLInputElement>('upload-supplier').value.trim(), file };
}

const describeUpload = (r: Upload) =>
  `import #${r.importId} registered` +
  (r.duplicateOf ? ` (same file as #${r.duplicateOf})` : '') +
  (r.reimportOf ? ` (same file as #${r.reimportOf}, but the supplier's settings changed since: importing again)` : '') +
  (r.run ? ': a run is scheduled to import it now' : '') +
  (r.imports.length
    ? `: ${r.imports.map((i) => `import #${i.importId} ${i.status}, ${i.rowsImported}/${i.rowsTotal} rows, ${i.imagesPending} images${i.error ? ` (${i.error})` : ''}`).join('; ')}`
    : '');

/**
 * The upload form: "Preview" shows the dry run, "Import" stores the file and registers the import.
 * Files above `directUploadBytes` go to S3 with a presigned PUT (API Gateway caps requests near 6 MB),
 * so they cannot be previewed here: the CLI's `upload --dry-run` can.
 */
export function wireUploadForm(maxUploadBytes: number): void {
  const directUploadBytes = Math.min(maxUploadBytes, 5 * 1024 * 1024);

  async function upload({ supplier, file }: Chosen): Promise<string> {
    if (file.size <= directUploadBytes) {
      const form = new FormData();
      form.set('supplier', supplier);
      form.set('file', file);
      if (byId<HTMLInputElement>('upload-now').checked) form.set('now', 'true');
      return describeUpload(await api<Upload>('/api/uploads', { method: 'POST', body: form }));
    }
    const target = await send<Presigned>('POST', '/api/uploads/presign', { supplier, fileName: file.name, bytes: file.size });
    const put = await fetch(target.url, { method: 'PUT', body: file });
    if (!put.ok) throw new Error(`upload to S3 failed: ${put.status}`);
    return `${file.name} stored as ${target.key}: the next run imports it (or press Run now)`;
  }

  async function preview({ supplier, file }: Chosen): Promise<Preview> {
    if (file.size > directUploadBytes) {
      throw new Error(`${file.name} is too large to preview here: use \`upload ${file.name} --supplier ${supplier} --dry-run\` in the CLI`);
    }
    const form = new FormData();
    form.set('supplier', supplier);
    form.set('file', file);
    return api<Preview>('/api/uploads/preview', { method: 'POST', body: form });
  }

  const submit = byId<HTMLButtonElement>('upload-submit');
  const importNow = () => {
    const picked = chosen();
    if (!picked) return;
    void act(submit, () => upload(picked), (text) => {
      hidePreview();
      return text;
    });
  };
  byId('upload-form').addEventListener('submit', (event) => {
    event.preventDefault();
    importNow();
  });
  byId('preview-import').addEventListener('click', importNow);
  byId('preview-close').addEventListener('click', hidePreview);
  const previewButton = byId<HTMLButtonElement>('upload-preview');
  previewButton.addEventListener('click', () => {
    const picked = chosen();
    if (picked) {
      void act(previewButton, () => preview(picked), (p) => {
        renderPreview(p);
        return `dry run of ${p.file.name}: nothing was stored or written; press Import to import it`;
      });
    }
  });
  for (const id of ['upload-file', 'upload-supplier']) byId(id).addEventListener('change', hidePreview);
}
