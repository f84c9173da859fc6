import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ImageOutcome } from '../images/process-image.ts';

/**
 * CloudWatch metrics in embedded metric format (written to the logs, so no PutMetricData call):
 * images by outcome, failures by kind, bytes in and out, download and conversion time.
 */
export function createWorkerMetrics() {
  const metrics = new Metrics({ namespace: 'CatalogImporter', serviceName: 'worker' });
  return {
    observe(outcome: ImageOutcome) {
      switch (outcome.result) {
        case 'done':
          metrics.addMetric('ImagesDone', MetricUnit.Count, 1);
          metrics.addMetric('BytesIn', MetricUnit.Bytes, outcome.bytesIn);
          metrics.addMetric('BytesOut', MetricUnit.Bytes, outcome.bytesOut);
          metrics.addMetric('DownloadTime', MetricUnit.Milliseconds, outcome.downloadMs);
          metrics.addMetric('ConversionTime', MetricUnit.Milliseconds, outcome.convertMs);
          break;
        case 'failed': {
          const byKind = metrics.singleMetric();
          byKind.addDimension('kind', outcome.kind);
          byKind.addMetric('ImagesFailed', MetricUnit.Count, 1);
          break;
        }
        case 'retry':
          metrics.addMetric('ImagesRetried', MetricUnit.Count, 1);
          break;
        case 'skipped':
          metrics.addMetric('ImagesSkipped', MetricUnit.Count, 1);
          break;
      }
    },
    /** Flushes what this invocation recorded. */
    publish() {
      metrics.publishStoredMetrics();
    },
  };
}
