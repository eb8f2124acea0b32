import type { EntityPlatform } from './entities.js';

/**
 * The translation keys the add-on may give an entity, per HA platform: the English name (HA shows
 * the user's language from the bridge's translations/<lang>.json; this name is also what the bridge
 * shows for a key it does not know yet), the default icon (the bridge's icons.json), and for enum
 * sensors and selects the English name of every state.
 *
 * The bridge's strings.json `entity` section, translations/en.json and icons.json are generated from
 * this table by `scripts/bridge-translations.mjs --write` and checked against it in CI (the same script
 * with `--check`, and integration-bridge/tests/test_translations.py). A key serves every device that
 * shows the same thing; placeholders in a name (`{channel}`) are filled from the descriptor's
 * `translationPlaceholders`.
 */
export interface EntityTranslation {
  readonly name: string;
  readonly icon?: string;
  /** Enum sensors and selects: option → English name. */
  readonly states?: Readonly<Record<string, string>>;
}

const ENERGY_ICON = {
  pv: 'mdi:solar-power',
  import: 'mdi:transmission-tower-import',
  export: 'mdi:transmission-tower-export',
  charge: 'mdi:battery-arrow-up',
  discharge: 'mdi:battery-arrow-down',
  load: 'mdi:home-lightning-bolt',
} as const;

const BMS_PROTECTION_ICON = 'mdi:battery-alert-variant';
const BMS_ALARM_ICON = 'mdi:battery-alert';

export const ENTITY_TRANSLATIONS = {
  sensor: {
    // Canonical readings (readings.ts).
    battery_soc: { name: 'Battery state of charge' },
    battery_soh: { name: 'Battery state of health', icon: 'mdi:battery-heart-variant' },
    battery_power: { name: 'Battery power', icon: 'mdi:battery-charging' },
    battery_voltage: { name: 'Battery voltage' },
    battery_current: { name: 'Battery current' },
    battery_temperature: { name: 'Battery temperature' },
    pv_power: { name: 'PV power', icon: ENERGY_ICON.pv },
    grid_power: { name: 'Grid power', icon: 'mdi:transmission-tower' },
    load_power: { name: 'Load power', icon: ENERGY_ICON.load },
    export_power: { name: 'Export power', icon: ENERGY_ICON.export },
    inverter_temperature: { name: 'Inverter temperature' },
    ac_output_power: { name: 'AC output power', icon: 'mdi:power-socket' },
    dc_output_power: { name: 'DC output power', icon: 'mdi:current-dc' },
    pv_energy: { name: 'PV energy', icon: ENERGY_ICON.pv },
    grid_import_energy: { name: 'Grid import energy', icon: ENERGY_ICON.import },
    grid_export_energy: { name: 'Grid export energy', icon: ENERGY_ICON.export },
    battery_charge_energy: { name: 'Battery charge energy', icon: ENERGY_ICON.charge },
    battery_discharge_energy: { name: 'Battery discharge energy', icon: ENERGY_ICON.discharge },
    load_energy: { name: 'Load energy', icon: ENERGY_ICON.load },
    // Power stations (Bluetti).
    ac_input_power: { name: 'AC input power' },
    dc_input_power: { name: 'DC input power' },
    ac_input_voltage: { name: 'AC input voltage' },
    ac_input_current: { name: 'AC input current' },
    ac_input_frequency: { name: 'AC input frequency' },
    ac_output_voltage: { name: 'AC output voltage' },
    ac_output_frequency: { name: 'AC output frequency' },
    dc_input_voltage: { name: 'DC input voltage' },
    dc_input_current: { name: 'DC input current' },
    pack_voltage: { name: 'Selected pack voltage' },
    pack_soc: { name: 'Selected pack state of charge' },
    pack_count: { name: 'Battery packs', icon: 'mdi:battery-plus' },
    pack_number: { name: 'Selected pack', icon: 'mdi:numeric' },
    ac_output_mode: {
      name: 'AC output mode',
      icon: 'mdi:sine-wave',
      states: {
        stop: 'Stopped',
        inverter_output: 'Inverter output',
        bypass_output_c: 'Bypass output C',
        bypass_output_d: 'Bypass output D',
        load_matching: 'Load matching',
      },
    },
    // PV sensor (INA260).
    pv_voltage: { name: 'PV voltage', icon: 'mdi:solar-panel' },
    pv_current: { name: 'PV current', icon: 'mdi:solar-panel' },
    averaging: { name: 'Samples averaged per reading', icon: 'mdi:chart-bell-curve' },
    // Smart plugs and relays (Kasa, Shelly).
    plug_power: { name: 'Power' },
    plug_energy: { name: 'Energy' },
    plug_energy_today: { name: 'Energy today' },
    plug_energy_month: { name: 'Energy this month' },
    voltage: { name: 'Voltage' },
    current: { name: 'Current' },
    on_time: { name: 'On time' },
    rssi: { name: 'Wi-Fi signal' },
    power: { name: 'Power' },
    energy: { name: 'Energy' },
    returned_energy: { name: 'Returned energy' },
    temperature: { name: 'Temperature' },
    channel_power: { name: 'Power (channel {channel})' },
    channel_voltage: { name: 'Voltage (channel {channel})' },
    channel_current: { name: 'Current (channel {channel})' },
    channel_energy: { name: 'Energy (channel {channel})' },
    channel_returned_energy: { name: 'Returned energy (channel {channel})' },
    channel_temperature: { name: 'Temperature (channel {channel})' },
    total_relay_power: { name: 'Total relay power' },
    total_relay_energy: { name: 'Total relay energy' },
    phase_power: { name: 'Power, phase {phase}' },
    phase_voltage: { name: 'Voltage, phase {phase}' },
    phase_current: { name: 'Current, phase {phase}' },
    phase_import_energy: { name: 'Import energy, phase {phase}' },
    phase_export_energy: { name: 'Export energy, phase {phase}' },
    meter_channel_power: { name: 'Power, meter channel {channel}' },
    meter_channel_voltage: { name: 'Voltage, meter channel {channel}' },
    meter_channel_current: { name: 'Current, meter channel {channel}' },
    meter_channel_import_energy: { name: 'Import energy, meter channel {channel}' },
    meter_channel_export_energy: { name: 'Export energy, meter channel {channel}' },
    // Hybrid inverters (Sungrow SH).
    inverter_output_energy: { name: 'Inverter output energy' },
    pv_energy_today: { name: 'PV energy today', icon: ENERGY_ICON.pv },
    grid_import_energy_today: { name: 'Grid import energy today', icon: ENERGY_ICON.import },
    grid_export_energy_today: { name: 'Grid export energy today', icon: ENERGY_ICON.export },
    battery_charge_energy_today: { name: 'Battery charge energy today', icon: ENERGY_ICON.charge },
    battery_discharge_energy_today: { name: 'Battery discharge energy today', icon: ENERGY_ICON.discharge },
    load_energy_today: { name: 'Load energy today', icon: ENERGY_ICON.load },
    inverter_output_energy_today: { name: 'Inverter output energy today' },
    battery_capacity: { name: 'Battery capacity' },
    running_state: {
      name: 'Running state',
      icon: 'mdi:state-machine',
      states: {
        stop: 'Stopped',
        standby: 'Standby',
        initial_standby: 'Initial standby',
        startup: 'Starting up',
        running: 'Running',
        fault: 'Fault',
        maintenance: 'Maintenance',
        forced: 'Forced mode',
        off_grid: 'Off-grid',
        restarting: 'Restarting',
        external_ems: 'External EMS',
        unknown: 'Unknown',
      },
    },
    running_state_code: { name: 'Running state code' },
    forced_command: {
      name: 'Forced charge/discharge command',
      states: { charge: 'Charge', discharge: 'Discharge', stop: 'Stop', unknown: 'Unknown' },
    },
    forced_power: { name: 'Forced charge/discharge power' },
    max_soc: { name: 'Maximum SOC', icon: 'mdi:battery-arrow-up' },
    bms_max_charge_current: { name: 'BMS max charge current' },
    bms_max_discharge_current: { name: 'BMS max discharge current' },
    // Sigenergy plants (SigenStor).
    available_charge_power: { name: 'Available charge power', icon: ENERGY_ICON.charge },
    available_discharge_power: { name: 'Available discharge power', icon: ENERGY_ICON.discharge },
    available_charge_energy: { name: 'Available charge energy' },
    available_discharge_energy: { name: 'Available discharge energy' },
    charge_cut_off_soc: { name: 'Charge cut-off SOC' },
    discharge_cut_off_soc: { name: 'Discharge cut-off SOC' },
    plant_running_state: {
      name: 'Running state',
      icon: 'mdi:state-machine',
      states: {
        standby: 'Standby',
        running: 'Running',
        fault: 'Fault',
        shutdown: 'Shut down',
        environmental_abnormality: 'Environmental abnormality',
        unknown: 'Unknown',
      },
    },
    ems_work_mode: {
      name: 'EMS work mode',
      icon: 'mdi:cog-transfer',
      states: {
        max_self_consumption: 'Maximum self-consumption',
        ai: 'AI mode',
        tou: 'Time of use',
        full_feed_in: 'Full feed-in',
        vpp: 'VPP',
        remote_ems: 'Remote EMS',
        custom: 'Custom',
        unknown: 'Unknown',
      },
    },
    grid_state: {
      name: 'Grid connection',
      icon: 'mdi:transmission-tower',
      states: {
        on_grid: 'On grid',
        off_grid_auto: 'Off grid (automatic)',
        off_grid_manual: 'Off grid (manual)',
        unknown: 'Unknown',
      },
    },
    plant_pv_power: { name: 'Plant PV power (as reported)', icon: ENERGY_ICON.pv },
    inverter_pv_power: { name: 'Inverter PV power', icon: ENERGY_ICON.pv },
    pv_power_source: {
      name: 'PV power source',
      icon: ENERGY_ICON.pv,
      states: { plant: 'Plant', inverters: 'Inverters' },
    },
    firmware_quirk: {
      name: 'Firmware quirk',
      icon: 'mdi:bug-outline',
      states: { none: 'None', plant_pv_reads_zero: 'Plant PV reads 0' },
    },
    pv_power_limit: { name: 'PV power limit', icon: ENERGY_ICON.pv },
    import_limit: { name: 'Grid import limit', icon: ENERGY_ICON.import },
    remote_ems_mode: {
      name: 'Remote EMS mode',
      icon: 'mdi:remote',
      states: {
        pcs_remote_control: 'PCS remote control',
        standby: 'Standby',
        self_consumption: 'Self-consumption',
        charge_grid_first: 'Charging, grid first',
        charge_pv_first: 'Charging, PV first',
        discharge_pv_first: 'Discharging, PV first',
        discharge_ess_first: 'Discharging, battery first',
        unknown: 'Unknown',
      },
    },
    // The station around a transfer switch.
    switched_load_power: { name: 'Load behind the transfer switch', icon: ENERGY_ICON.load },
    station_mode: {
      name: 'Station mode',
      states: { charging: 'Charging', discharging: 'Discharging', idle: 'Idle' },
    },
    grid_charging_hold_s: { name: 'P1 minimum-time hold' },
    ac_output_hold_s: { name: 'P3 minimum-time hold' },
    degraded_reason: { name: 'Degraded because', icon: 'mdi:alert' },
    // Tesla Powerwall (Teslemetry).
    grid_status: {
      name: 'Grid status',
      icon: 'mdi:transmission-tower',
      states: { active: 'Active', inactive: 'Inactive', unknown: 'Unknown' },
    },
    island_status: { name: 'Island status', icon: 'mdi:island' },
    nameplate_power: { name: 'Nameplate power' },
    control_state: {
      name: 'Add-on control',
      icon: 'mdi:robot',
      states: { normal: 'Normal', charge: 'Charging', discharge: 'Discharging', hold: 'Holding' },
    },
    // The optimiser, prices and forecasts (the add-on's own device).
    current_action: { name: 'Current action', icon: 'mdi:battery-sync' },
    current_reason: { name: 'Current action reason', icon: 'mdi:comment-text-outline' },
    next_action: { name: 'Next action', icon: 'mdi:battery-clock' },
    next_action_at: { name: 'Next action at', icon: 'mdi:clock-outline' },
    predicted_cost_today: { name: 'Predicted cost today', icon: 'mdi:cash' },
    baseline_cost_today: { name: 'Baseline cost today', icon: 'mdi:cash-remove' },
    savings_today: { name: 'Savings today', icon: 'mdi:piggy-bank' },
    plan: { name: 'Plan', icon: 'mdi:chart-timeline-variant' },
    ev_ready_by: { name: 'EV ready by', icon: 'mdi:car-clock' },
    ev_plan: { name: 'EV plan', icon: 'mdi:car-electric' },
    import_price: { name: 'Import price', icon: ENERGY_ICON.import },
    export_price: { name: 'Export price', icon: ENERGY_ICON.export },
    import_price_forecast: { name: 'Import price forecast', icon: 'mdi:chart-line' },
    export_price_forecast: { name: 'Export price forecast', icon: 'mdi:chart-line' },
    solar_forecast: { name: 'Solar forecast', icon: ENERGY_ICON.pv },
    load_forecast: { name: 'Load forecast', icon: ENERGY_ICON.load },
    // Batteries and EV chargers on Home Assistant entities.
    battery_operating_mode: { name: 'Operating mode', icon: 'mdi:cog-transfer' },
    ev_charge_current: { name: 'EV charging current', icon: 'mdi:current-ac' },
    ev_charge_power: { name: 'EV charging power', icon: 'mdi:ev-station' },
    ev_soc: { name: 'EV state of charge', icon: 'mdi:car-electric' },
    // Demand response (the add-on's own device).
    dr_mode: {
      name: 'DR mode',
      icon: 'mdi:transmission-tower',
      states: { normal: 'Normal', upcoming: 'Event upcoming', ongoing: 'Event ongoing', post_event: 'After the event' },
    },
    dr_next_event_start: { name: 'Next DR event', icon: 'mdi:calendar-clock' },
    dr_program: { name: 'DR programme', icon: 'mdi:card-account-details-outline' },
    dr_goal: { name: 'DR goal', icon: 'mdi:target' },
    dr_baseline: { name: 'DR baseline now', icon: 'mdi:chart-bell-curve' },
    dr_avoided_energy_event: { name: 'Avoided energy this event', icon: 'mdi:lightning-bolt-outline' },
    dr_avoided_energy_total: { name: 'Avoided energy total', icon: 'mdi:lightning-bolt' },
    dr_performance: { name: 'DR performance', icon: 'mdi:percent' },
    // Lithium BMS on CAN (Pylontech and compatible: BYD, REC…).
    charge_voltage_limit: { name: 'Charge voltage limit', icon: 'mdi:battery-arrow-up-outline' },
    discharge_voltage_limit: { name: 'Discharge voltage limit', icon: 'mdi:battery-arrow-down-outline' },
    charge_current_limit: { name: 'Charge current limit', icon: ENERGY_ICON.charge },
    discharge_current_limit: { name: 'Discharge current limit', icon: ENERGY_ICON.discharge },
    module_count: { name: 'Battery modules', icon: 'mdi:battery-plus' },
    bms_manufacturer: { name: 'BMS manufacturer', icon: 'mdi:factory' },
    // Studer Xtender/VarioTrack (driver studer).
    xtender_operating_state: {
      name: 'Inverter state',
      icon: 'mdi:state-machine',
      states: {
        invalid: 'Off',
        inverter: 'Inverter',
        charger: 'Charger',
        boost: 'Boost',
        injection: 'Injection',
        unknown: 'Unknown',
      },
    },
    battery_cycle_phase: {
      name: 'Battery cycle phase',
      icon: 'mdi:battery-sync',
      states: {
        none: 'None',
        bulk: 'Bulk',
        absorption: 'Absorption',
        equalise: 'Equalise',
        floating: 'Floating',
        unknown: 'Unknown',
      },
    },
    charger_current: { name: 'Charger current', icon: 'mdi:current-dc' },
    ac_input_current_limit: { name: 'AC input current limit', icon: 'mdi:current-ac' },
  },
  binary_sensor: {
    transfer_relay_closed: { name: 'AC source connected (transfer relay)', icon: 'mdi:transmission-tower' },
    inverter_allowed: { name: 'Inverter allowed', icon: 'mdi:sine-wave' },
    charger_allowed: { name: 'Charger allowed', icon: 'mdi:battery-charging' },
    pv_generating: { name: 'PV generating', icon: ENERGY_ICON.pv },
    battery_charging: { name: 'Battery charging', icon: ENERGY_ICON.charge },
    battery_discharging: { name: 'Battery discharging', icon: ENERGY_ICON.discharge },
    grid_exporting: { name: 'Exporting to grid', icon: ENERGY_ICON.export },
    grid_importing: { name: 'Importing from grid', icon: ENERGY_ICON.import },
    export_limit_enabled: { name: 'Export limit enabled', icon: 'mdi:transmission-tower-off' },
    grid_charging_on: { name: 'Grid charging (P1)', icon: ENERGY_ICON.import },
    ac_output_on: { name: 'Loads on the station (P3)', icon: 'mdi:power-socket' },
    position_reachable: { name: '{position} {device} reachable' },
    grid_sensor_connected: { name: 'Grid sensor connected' },
    remote_ems_enabled: { name: 'Remote EMS enabled', icon: 'mdi:remote' },
    price_spike: { name: 'Price spike', icon: 'mdi:flash-alert' },
    prices_available: { name: 'Prices available', icon: 'mdi:cash-check' },
    storm_mode_active: { name: 'Storm watch active', icon: 'mdi:weather-lightning' },
    ev_plugged: { name: 'EV plugged in', icon: 'mdi:ev-plug-type2' },
    dr_broker_connected: { name: 'Aggregator connected', icon: 'mdi:lan-connect' },
    // Lithium BMS on CAN (Pylontech and compatible): its request flags, and every protection and alarm flag.
    charge_enabled: { name: 'Charging allowed', icon: ENERGY_ICON.charge },
    discharge_enabled: { name: 'Discharging allowed', icon: ENERGY_ICON.discharge },
    force_charge_request: { name: 'Force-charge request', icon: 'mdi:battery-alert' },
    force_charge_request_low_soc: { name: 'Force-charge request (low SOC)', icon: 'mdi:battery-alert-variant-outline' },
    full_charge_request: { name: 'Full-charge request', icon: 'mdi:battery-sync' },
    protection_cell_overvoltage: { name: 'Protection: cell overvoltage', icon: BMS_PROTECTION_ICON },
    protection_cell_undervoltage: { name: 'Protection: cell undervoltage', icon: BMS_PROTECTION_ICON },
    protection_overtemperature: { name: 'Protection: overtemperature', icon: BMS_PROTECTION_ICON },
    protection_undertemperature: { name: 'Protection: undertemperature', icon: BMS_PROTECTION_ICON },
    protection_discharge_overcurrent: { name: 'Protection: discharge overcurrent', icon: BMS_PROTECTION_ICON },
    protection_charge_overcurrent: { name: 'Protection: charge overcurrent', icon: BMS_PROTECTION_ICON },
    protection_system_error: { name: 'Protection: system error', icon: BMS_PROTECTION_ICON },
    protection_general: { name: 'Protection: general', icon: BMS_PROTECTION_ICON },
    protection_charge_overtemperature: {
      name: 'Protection: overtemperature while charging',
      icon: BMS_PROTECTION_ICON,
    },
    protection_charge_undertemperature: {
      name: 'Protection: undertemperature while charging',
      icon: BMS_PROTECTION_ICON,
    },
    protection_contactor: { name: 'Protection: contactor', icon: BMS_PROTECTION_ICON },
    protection_short_circuit: { name: 'Protection: short circuit', icon: BMS_PROTECTION_ICON },
    protection_bms_internal: { name: 'Protection: BMS internal fault', icon: BMS_PROTECTION_ICON },
    protection_cell_imbalance: { name: 'Protection: cell imbalance', icon: BMS_PROTECTION_ICON },
    alarm_high_voltage: { name: 'Alarm: high voltage', icon: BMS_ALARM_ICON },
    alarm_low_voltage: { name: 'Alarm: low voltage', icon: BMS_ALARM_ICON },
    alarm_high_temperature: { name: 'Alarm: high temperature', icon: BMS_ALARM_ICON },
    alarm_low_temperature: { name: 'Alarm: low temperature', icon: BMS_ALARM_ICON },
    alarm_discharge_high_current: { name: 'Alarm: high discharge current', icon: BMS_ALARM_ICON },
    alarm_charge_high_current: { name: 'Alarm: high charge current', icon: BMS_ALARM_ICON },
    alarm_internal_communication: { name: 'Alarm: internal communication', icon: BMS_ALARM_ICON },
    alarm_general: { name: 'Alarm: general', icon: BMS_ALARM_ICON },
    alarm_charge_high_temperature: { name: 'Alarm: high temperature while charging', icon: BMS_ALARM_ICON },
    alarm_charge_low_temperature: { name: 'Alarm: low temperature while charging', icon: BMS_ALARM_ICON },
    alarm_contactor: { name: 'Alarm: contactor', icon: BMS_ALARM_ICON },
    alarm_short_circuit: { name: 'Alarm: short circuit', icon: BMS_ALARM_ICON },
    alarm_bms_internal: { name: 'Alarm: BMS internal fault', icon: BMS_ALARM_ICON },
    alarm_cell_imbalance: { name: 'Alarm: cell imbalance', icon: BMS_ALARM_ICON },
    // Alarms (addon/src/alarms): one per rule and device, on the "Smart Power Station Alarms" device.
    alarm_battery: { name: 'Battery alarm ({device})', icon: 'mdi:battery-alert' },
    alarm_low_soc: { name: 'Low battery ({device})', icon: 'mdi:battery-low' },
    alarm_heavy_load: { name: '{name} ({device})', icon: 'mdi:flash-alert' },
    alarm_device_unavailable: { name: '{device} unavailable', icon: 'mdi:lan-disconnect' },
    alarm_transfer_relay_open: { name: 'AC source lost ({device})', icon: 'mdi:transmission-tower-off' },
  },
  switch: {
    ac_output_on: { name: 'AC output', icon: 'mdi:power-socket' },
    dc_output_on: { name: 'DC output', icon: 'mdi:current-dc' },
    grid_charge_on: { name: 'Grid charging', icon: ENERGY_ICON.import },
    plug_relay: { name: 'Relay', icon: 'mdi:power-socket' },
    relay: { name: 'Relay', icon: 'mdi:electric-switch' },
    relay_channel: { name: 'Relay (channel {channel})', icon: 'mdi:electric-switch' },
    optimization: { name: 'Optimisation', icon: 'mdi:robot' },
    ev_charging: { name: 'EV charging', icon: 'mdi:ev-station' },
    dr_opt_out: { name: 'Opt out of DR event', icon: 'mdi:calendar-remove' },
  },
  number: {
    backup_reserve: { name: 'Backup reserve (min SOC)', icon: 'mdi:battery-lock' },
    max_charge_power: { name: 'Battery max charge power' },
    max_discharge_power: { name: 'Battery max discharge power' },
    export_limit: { name: 'Export power limit' },
    ev_charge_limit: { name: 'EV charge power limit', icon: 'mdi:ev-station' },
  },
  select: {
    charging_mode: {
      name: 'Charging mode',
      icon: 'mdi:battery-charging-high',
      states: { standard: 'Standard', silent: 'Silent', turbo: 'Turbo' },
    },
    ups_mode: {
      name: 'UPS mode',
      icon: 'mdi:power-plug-battery',
      states: {
        ups_customized: 'Customised',
        ups_pv_priority: 'PV priority',
        ups_standard: 'Standard',
        ups_time_control: 'Time control',
      },
    },
    xtender_mode: {
      name: 'Inverter/charger mode',
      icon: 'mdi:sine-wave',
      states: {
        inverter_and_charger: 'Inverter and charger',
        inverter_only: 'Inverter only',
        charger_only: 'Charger only',
        off: 'Both off',
      },
    },
    ems_mode: {
      name: 'EMS mode',
      icon: 'mdi:cog-transfer',
      states: { self_consumption: 'Self-consumption', forced: 'Forced charge/discharge', hold: 'Hold (battery idle)' },
    },
    operation_mode: {
      name: 'Operation mode',
      icon: 'mdi:home-battery',
      states: { self_consumption: 'Self-powered', autonomous: 'Time-based control' },
    },
    export_rule: {
      name: 'Export rule',
      icon: 'mdi:transmission-tower-export',
      states: { battery_ok: 'Solar and battery', pv_only: 'Solar only', never: 'Never' },
    },
    grid_charging: {
      name: 'Grid charging',
      icon: 'mdi:transmission-tower-import',
      states: { grid_charging_allowed: 'Allowed', grid_charging_blocked: 'Blocked' },
    },
    dr_sharing: {
      name: 'Sharing level',
      icon: 'mdi:share-variant',
      states: { none: 'Nothing', events: 'Events only', aggregate: '15-minute averages', full: 'Every reading' },
    },
    optimization_goal: {
      name: 'Goal',
      icon: 'mdi:target',
      states: { cost: 'Lowest cost', self_consumption: 'Self-consumption', off: 'Off' },
    },
  },
  button: {
    restore_normal: { name: 'Restore normal operation', icon: 'mdi:restore' },
    station_force_charge: { name: 'Charge from the grid' },
    station_force_discharge: { name: 'Move the loads onto the station' },
    station_restore_normal: { name: 'Back to normal' },
  },
} as const satisfies Readonly<Record<EntityPlatform, Readonly<Record<string, EntityTranslation>>>>;

type Table = typeof ENTITY_TRANSLATIONS;

/** Every translation key of one platform. */
export type PlatformTranslationKey<P extends EntityPlatform> = keyof Table[P] & string;

/** Every translation key of any platform (a descriptor's platform is checked against it at runtime). */
export type EntityTranslationKey = { [P in EntityPlatform]: PlatformTranslationKey<P> }[EntityPlatform];

/** HA accepts lowercase ASCII letters, digits and `_` in a translation key. */
export const TRANSLATION_KEY_PATTERN = /^[a-z0-9_]+$/;

/** The translation of a key on a platform, or undefined when that platform has no such key. */
export function entityTranslation(platform: EntityPlatform, key: string): EntityTranslation | undefined {
  const forPlatform: Readonly<Record<string, EntityTranslation>> = ENTITY_TRANSLATIONS[platform];
  return Object.hasOwn(forPlatform, key) ? forPlatform[key] : undefined;
}

/** The `{placeholder}` names a translated name needs, in order of appearance. */
export function namePlaceholders(name: string): string[] {
  return [...name.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1] as string);
}
