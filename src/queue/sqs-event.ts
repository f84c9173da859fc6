import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export type { SQSBatchResponse, SQSEvent, SQSRecord };

/** The worker's shape, as Lambda's SQS event source calls it (and the local poller imitates). */
export type SqsBatchHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;
