// The monitor's prices in cycles, as the vCPU charges them (vcpu.ts), taken from the machine
// configuration's monitor rows (src/config/monitor-costs.ts: each row's meaning, its default and
// the Disco paper's measurement behind it; `--config FILE.json` changes them).

import { defaultConfig, pickMonitorCosts, type MonitorCostConfig } from '../config/machine.js';
import { Emulated } from './stats.js';

export type { MonitorCostConfig };

export interface MonitorCosts {
  trap: number;
  /** Emulating a privileged instruction, by its class (stats.ts Emulated; Illegal is reflected). */
  emulate: Float64Array;
  mprvStep: number;
  reflect: number;
  shadowFill: number;
  walkLevel: number;
  interrupt: number;
  mmio: number;
  vcpuSwitch: number;
  shootdown: number;
  remote: number;
}

/** The monitor rows of the default machine configuration. */
export function defaultMonitorCosts(): MonitorCostConfig {
  return pickMonitorCosts(defaultConfig());
}

/** The prices of configuration `c` (already validated: whole cycles, 0 or more). */
export function monitorCosts(c: MonitorCostConfig): MonitorCosts {
  const emulate = new Float64Array(Emulated.Illegal + 1);
  emulate[Emulated.Csr] = c.monitorCsrCycles;
  emulate[Emulated.Mret] = c.monitorXretCycles;
  emulate[Emulated.Sret] = c.monitorXretCycles;
  emulate[Emulated.Wfi] = c.monitorWfiCycles;
  emulate[Emulated.SfenceVma] = c.monitorSfenceCycles;
  return {
    trap: c.monitorTrapCycles,
    emulate,
    mprvStep: c.monitorMprvStepCycles,
    reflect: c.monitorReflectCycles,
    shadowFill: c.monitorShadowFillCycles,
    walkLevel: c.monitorWalkLevelCycles,
    interrupt: c.monitorInterruptCycles,
    mmio: c.monitorMmioCycles,
    vcpuSwitch: c.monitorSwitchCycles,
    shootdown: c.monitorShootdownCycles,
    remote: c.monitorRemoteCycles,
  };
}
