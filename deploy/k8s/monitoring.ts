/** Prometheus Operator scrape config for every pod behind the Service. */
import type { ServiceMonitor } from './custom-resources'
import { LABELS, OBJECT_META } from './settings'

/** Scrapes each pod's /metrics; the Operator names the job after the Service (`bun-infer`, as the alerts expect). */
export function serviceMonitor(): ServiceMonitor {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: OBJECT_META,
    spec: {
      selector: { matchLabels: LABELS },
      endpoints: [{ port: 'http', path: '/metrics', interval: '15s', scrapeTimeout: '5s' }]
    }
  }
}
