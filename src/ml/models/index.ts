/** Model registry by kind: construction from configuration and restoration from artifacts. */
import { DEFAULT_GBT_CONFIG, GbtModel, type GbtConfig } from './gbt.js';
import { PersistenceModel } from './persistence.js';
import { DEFAULT_RANDOM_FOREST_CONFIG, RandomForestModel, type RandomForestConfig } from './random-forest.js';
import { DEFAULT_RIDGE_CONFIG, RidgeModel, type RidgeConfig } from './ridge.js';
import { MODEL_KINDS, type ModelArtifact, type ModelKind, type Regressor } from './types.js';

export * from './types.js';
export { PersistenceModel } from './persistence.js';
export { RidgeModel, DEFAULT_RIDGE_CONFIG, solveSpd, type RidgeConfig, type RidgeState } from './ridge.js';
export { RandomForestModel, DEFAULT_RANDOM_FOREST_CONFIG, type RandomForestConfig } from './random-forest.js';
export { GbtModel, DEFAULT_GBT_CONFIG, type GbtConfig } from './gbt.js';
export { TreeEnsemble, type EnsembleState } from './ensemble.js';
export { binMatrix, binOf, predictTree, TreeGrower, type BinnedMatrix, type Tree, type TreeJSON, type TreeParams } from './hist-tree.js';

/** Hyperparameters of every model family (the `models.params` column stores one kind's). */
export interface ModelsConfig {
  readonly ridge: RidgeConfig;
  readonly random_forest: RandomForestConfig;
  readonly gbt: GbtConfig;
}

/** Partial overrides of {@link ModelsConfig}, merged per kind over the defaults. */
export type ModelsConfigOverrides = { readonly [K in keyof ModelsConfig]?: Partial<ModelsConfig[K]> };

/** Merges overrides over the defaults. */
export function resolveModelsConfig(overrides: ModelsConfigOverrides = {}): ModelsConfig {
  return {
    ridge: { ...DEFAULT_RIDGE_CONFIG, ...overrides.ridge },
    random_forest: { ...DEFAULT_RANDOM_FOREST_CONFIG, ...overrides.random_forest },
    gbt: { ...DEFAULT_GBT_CONFIG, ...overrides.gbt },
  };
}

/** True for a known model kind. */
export function isModelKind(k: string): k is ModelKind {
  return (MODEL_KINDS as readonly string[]).includes(k);
}

/** A new, unfitted model of a kind. */
export function createModel(kind: ModelKind, config: ModelsConfigOverrides = {}): Regressor {
  const c = resolveModelsConfig(config);
  switch (kind) {
    case 'persistence':
      return new PersistenceModel();
    case 'ridge':
      return new RidgeModel(c.ridge);
    case 'random_forest':
      return new RandomForestModel(c.random_forest);
    case 'gbt':
      return new GbtModel(c.gbt);
  }
}

/** Restores a fitted model from its artifact (parsed JSON), whatever its kind. */
export function modelFromJSON(a: ModelArtifact): Regressor {
  switch (a.kind) {
    case 'persistence':
      return PersistenceModel.fromJSON(a);
    case 'ridge':
      return RidgeModel.fromJSON(a);
    case 'random_forest':
      return RandomForestModel.fromJSON(a);
    case 'gbt':
      return GbtModel.fromJSON(a);
    default:
      throw new Error(`unknown model kind ${String((a as { kind: unknown }).kind)}`);
  }
}
