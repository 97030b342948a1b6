export { NodeMetrics, weiToCmt, type CommittedState, type NodeMetricsOptions } from './metrics.js';
export { METRICS_MAX_CONNECTIONS, METRICS_MIN_INTERVAL_MS, startMetricsServer, parseHostPort, type MetricsServer } from './server.js';
