export { NodeMetrics, weiToCmt, type CommittedState, type NodeMetricsOptions } from './metrics.js';
export { startMetricsServer, parseHostPort, type MetricsServer } from './server.js';
