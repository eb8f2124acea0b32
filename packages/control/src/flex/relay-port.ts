/** A relay (one channel) as the flexible-load policies see it; the add-on backs it with a device. */
export interface RelayPort {
  /** The newest state read from the relay and when it was read (UTC ms); undefined when unknown. */
  state(): { readonly on: boolean; readonly at: number } | undefined;
  /** Switches the relay through the SafetyGuard (the add-on: DeviceManager.execute → set_relay). */
  set(on: boolean): Promise<void>;
}
