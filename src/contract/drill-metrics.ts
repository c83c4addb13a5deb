/**
 * The drill's CloudWatch metric names, as the drill's collect step writes them and
 * `RecoveryDrill`'s alarm reads them.
 */
export const DrillMetrics = {
  NAMESPACE: 'CdkDrsMultiAccount',
  DIMENSION: 'DrillName',
  SERVERS_DRILLED: 'ServersDrilled',
  SERVERS_FAILED: 'ServersFailed',
  MAX_RECOVERY_TIME: 'MaxRecoveryTimeSeconds',
  MEDIAN_RECOVERY_TIME: 'MedianRecoveryTimeSeconds',
  DRILL_SUCCEEDED: 'DrillSucceeded',
} as const;
