/** One node of EXPLAIN (FORMAT JSON) output: what the plan tests read of it. */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Rows Removed by Filter'?: number;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

/** A plan's nodes, the root first, depth first. */
export const planNodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(planNodes)];

/** What the explaining stand-in runs its EXPLAIN on: a pg pool or client. */
interface Queryable {
  query<R extends object>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/**
 * A stand-in for a pg pool or client whose `query` runs `EXPLAIN (ANALYZE, FORMAT JSON)` of what it is
 * sent on `target` and answers no rows; `nodes()` is the last plan's nodes.
 */
export function explainingQueries(target: Queryable) {
  let plan: PlanNode | undefined;
  return {
    query: async (text: string, values: unknown[]) => {
      const { rows } = await target.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, values);
      plan = rows[0]!['QUERY PLAN'][0]!.Plan;
      return { rows: [] };
    },
    nodes: () => planNodes(plan!),
  };
}
