import type { Logger } from '../logger.js';

/** The discovery service name: config.yaml's `discovery:` list and the bridge's `async_step_hassio`. */
export const DISCOVERY_SERVICE = 'smart_power_station';

export interface DiscoveryAnnouncement {
  /** The Supervisor's API, `http://supervisor` inside an add-on; a local server in tests. */
  readonly supervisorUrl: string;
  readonly token: string;
  readonly addonVersion: string;
  readonly logger: Logger;
  readonly timeoutMs?: number;
}

/**
 * Tells the Supervisor that this add-on provides the smart_power_station service, so Home Assistant
 * offers the integration under Settings → Devices & services → Discovered once the bridge is installed:
 * the user confirms one dialog and types no YAML. The add-on connects in itself, so the config carries
 * only the version. A failure is logged and never stops the add-on: adding the integration by hand
 * still works.
 */
export async function announceToSupervisor(a: DiscoveryAnnouncement): Promise<boolean> {
  try {
    const response = await fetch(new URL('/discovery', a.supervisorUrl), {
      method: 'POST',
      headers: { Authorization: `Bearer ${a.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ service: DISCOVERY_SERVICE, config: { addon_version: a.addonVersion } }),
      signal: AbortSignal.timeout(a.timeoutMs ?? 10_000),
    });
    if (!response.ok) {
      const text = (await response.text()).slice(0, 200);
      a.logger.warn(
        { status: response.status, body: text },
        'Supervisor discovery refused; add the integration by hand',
      );
      return false;
    }
    a.logger.info('announced to the Supervisor: Home Assistant will offer the Smart Power Station integration');
    return true;
  } catch (err) {
    a.logger.warn({ err }, 'Supervisor discovery failed; add the integration by hand');
    return false;
  }
}
