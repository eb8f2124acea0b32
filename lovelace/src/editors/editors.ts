/** The editor of each card: its fields, validated with the card's own schema. */
import {
  ControlCardConfig,
  DeviceCardConfig,
  FlowCardConfig,
  HistoryCardConfig,
  PlanCardConfig,
} from '../config/card-configs.js';
import { SpsCardEditor, type EditorField } from './card-editor.js';

const TITLE: EditorField = { name: 'title', label: 'Title (optional)', kind: 'text' };

export class SpsFlowCardEditor extends SpsCardEditor {
  protected readonly schema = FlowCardConfig;
  protected readonly fields: readonly EditorField[] = [
    TITLE,
    { name: 'show_relays', label: 'Show the transfer switch relays (P1–P4)', kind: 'boolean', default: true },
    { name: 'show_loads', label: 'Show the EV and deferrable loads', kind: 'boolean', default: true },
  ];
}

export class SpsPlanCardEditor extends SpsCardEditor {
  protected readonly schema = PlanCardConfig;
  protected readonly fields: readonly EditorField[] = [
    TITLE,
    { name: 'view', label: 'Opens with', kind: 'select', options: ['chart', 'table'], default: 'chart' },
    { name: 'hours', label: 'Hours shown (1–48)', kind: 'number', min: 1, max: 48 },
  ];
}

export class SpsControlCardEditor extends SpsCardEditor {
  protected readonly schema = ControlCardConfig;
  protected readonly fields: readonly EditorField[] = [
    TITLE,
    { name: 'duration_presets', label: 'Duration presets, minutes (comma-separated)', kind: 'list', numeric: true },
    { name: 'show_goal', label: 'Show the optimiser goal', kind: 'boolean', default: true },
  ];
}

export class SpsDeviceCardEditor extends SpsCardEditor {
  protected readonly schema = DeviceCardConfig;
  protected readonly fields: readonly EditorField[] = [
    { name: 'device', label: 'Device', kind: 'device', optional: false },
    TITLE,
    { name: 'readings', label: 'Readings to show (keys, comma-separated; empty = main ones)', kind: 'list' },
    { name: 'show_controls', label: 'Show the controls', kind: 'boolean', default: true },
  ];
}

export class SpsHistoryCardEditor extends SpsCardEditor {
  protected readonly schema = HistoryCardConfig;
  protected readonly fields: readonly EditorField[] = [
    TITLE,
    { name: 'range', label: 'Range', kind: 'select', options: ['24h', '7d'], default: '24h' },
    { name: 'series', label: 'Series (soc, grid, solar, battery, cost)', kind: 'list' },
    { name: 'device', label: 'Device (default: the optimised battery)', kind: 'device', optional: true },
  ];
}
