// The rule kinds: one evaluator per kind, chosen by the rule's `kind`. Composite rules combine the
// alerts of other rules and are evaluated by the alert manager, not here.
import type { RuleDef } from '@citygrid/contract';
import type { EvaluatorFactory } from '../types.js';
import { createAbsenceEvaluator } from './absence.js';
import { createAnomalyEvaluator } from './anomaly.js';
import { createCameraEvaluator } from './camera.js';
import { createForecastEvaluator } from './forecast.js';
import { createFrozenEvaluator } from './frozen.js';
import { createRateEvaluator } from './rate.js';
import { createRefusalsEvaluator } from './refusals.js';
import { createReportsEvaluator } from './reports.js';
import { createThresholdEvaluator } from './threshold.js';

export const createEvaluator: EvaluatorFactory = (rule, devices) => {
  switch (rule.kind) {
    case 'threshold': return createThresholdEvaluator(rule, devices);
    case 'rate': return createRateEvaluator(rule, devices);
    case 'absence': return createAbsenceEvaluator(rule, devices);
    case 'frozen': return createFrozenEvaluator(rule, devices);
    case 'anomaly': return createAnomalyEvaluator(rule, devices);
    case 'forecast': return createForecastEvaluator(rule, devices);
    case 'camera': return createCameraEvaluator(rule, devices);
    case 'refusals': return createRefusalsEvaluator(rule, devices);
    case 'reports': return createReportsEvaluator(rule, devices);
    case 'composite':
      throw new Error(`rule ${rule.id}: composite rules are evaluated by the alert manager, not by createEvaluator`);
  }
};

/** How far back a rule looks: what a new evaluator must see again to carry on where another left off. */
export function lookbackMs(rule: RuleDef): number {
  switch (rule.kind) {
    case 'threshold': return rule.for ?? 0;
    case 'rate': return rule.per;
    case 'absence': return rule.after;
    case 'frozen': return rule.for;
    case 'anomaly': return rule.baseline;
    case 'forecast': return rule.window;
    case 'camera': return rule.within;
    case 'refusals': return rule.within;
    case 'reports': return rule.within;
    case 'composite': return 0; // it combines alerts, which the alert stream keeps
  }
}

export {
  createAbsenceEvaluator, createAnomalyEvaluator, createCameraEvaluator, createForecastEvaluator,
  createFrozenEvaluator, createRateEvaluator, createRefusalsEvaluator, createReportsEvaluator, createThresholdEvaluator,
};
