import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { TickSummary } from '../scheduled/run-tick.ts';

/**
 * The tick's CloudWatch metrics in embedded metric format: supplier feeds fetched by outcome, and
 * the failed ones by supplier. `FeedFetchesFailed` is what the feed alarm watches (infra/alarms.yml).
 */
export function publishTickMetrics(summary: TickSummary): void {
  const metrics = new Metrics({ namespace: 'CatalogImporter', serviceName: 'scheduled' });
  const count = (outcome: string) => summary.feeds.filter((f) => f.outcome === outcome).length;
  metrics.addMetric('FeedFetchesImported', MetricUnit.Count, count('imported'));
  metrics.addMetric('FeedFetchesUnchanged', MetricUnit.Count, count('unchanged'));
  metrics.addMetric('FeedFetchesFailed', MetricUnit.Count, count('failed'));
  for (const failed of summary.feeds.filter((f) => f.outcome === 'failed')) {
    const bySupplier = metrics.singleMetric();
    bySupplier.addDimension('supplier', failed.supplier);
    bySupplier.addMetric('FeedFetchFailed', MetricUnit.Count, 1);
  }
  metrics.publishStoredMetrics();
}
