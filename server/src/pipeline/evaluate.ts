// evaluate: the slot for alert rules (threshold, rate, absence, forecast, ...). Rules arrive with
// the alerts issue; until then every accepted message passes through unchanged.
import type { Step } from './types.js';

export const evaluate: Step = () => {};
