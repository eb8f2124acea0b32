export interface HassInstance {
  readonly baseUrl: string;
  readonly wsUrl: string;
  readonly token: string;
  readonly configDir: string;
  readonly port: number;
  readonly pid: number;
  readonly logPath: string;
  // Parsed JSON from HA's REST API; tests assert on its shape with expect().
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  api(path: string, init?: RequestInit): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
  /** Stop and delete the temporary config dir. */
  remove(): Promise<void>;
  readLog(): string;
}
export interface StartHassOptions {
  /** YAML appended to configuration.yaml (automations, input_boolean, …). */
  extraYaml?: string;
  /** Restart an existing instance's config dir (keeps its token and .storage). */
  configDir?: string;
  port?: number;
  startTimeoutMs?: number;
}
export declare function startHass(options?: StartHassOptions): Promise<HassInstance>;
export declare function venvAvailable(): boolean;
export declare function freePort(): Promise<number>;
export declare const ROOT: string;
export declare const CARDS_BUNDLE: string;
