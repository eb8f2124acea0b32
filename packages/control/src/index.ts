export * from './safety-limits.js';
export * from './safety-guard.js';
export * from './write-rate-limiter.js';
export * from './relay-hold.js';
export * from './waitable-refusal.js';
export * from './write-ledger.js';
// The controller (issue 5): model predictive control of one battery.
export * from './controller.js';
export * from './controller-ports.js';
export * from './controller-status.js';
export * from './control-target.js';
export * from './write-hysteresis.js';
export * from './plan-watchdog.js';
export * from './manual-override.js';
export * from './plan-view.js';
export * from './planning-inputs.js';
export * from './daily-costs.js';
export * from './tracked-device.js';
export * from './demand-response.js';
export * from './dr/grid-pi.js';
export * from './dr/curtailment.js';
export * from './dr/demand-response-control.js';
export * from './flex/deferrable-load.js';
export * from './flex/relay-port.js';
export * from './flex/deferrable-policy.js';
export * from './flex/ev-planning.js';
export * from './flex/ev-policy.js';
export * from './flex/flex-loads.js';
// Several batteries (issue 12): one joint plan, each battery's own Controller as its policy.
export * from './fleet/fleet-planner.js';
export * from './fleet/member-plan.js';
export * from './fleet/shared-demand-response.js';
// Alarms (issue 13 part 5): pure rules, the engine, and when to notify.
export * from './alarms/alarm-rules.js';
export * from './alarms/alarm-engine.js';
export * from './alarms/notification-policy.js';
