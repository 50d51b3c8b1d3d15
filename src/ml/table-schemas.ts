/** The forecasting use case's tables: registered models, their daily evaluations, live predictions and champion changes. */
import modelsJson from '../../glue-schemas/models.json' with { type: 'json' };
import modelEvaluationsJson from '../../glue-schemas/model_evaluations.json' with { type: 'json' };
import predictionsJson from '../../glue-schemas/predictions.json' with { type: 'json' };
import championChangesJson from '../../glue-schemas/champion_changes.json' with { type: 'json' };
import { parseTableSchema } from '../lake/table-schema.js';

export const MODELS = parseTableSchema(modelsJson, 'glue-schemas/models.json');
export const MODEL_EVALUATIONS = parseTableSchema(modelEvaluationsJson, 'glue-schemas/model_evaluations.json');
export const PREDICTIONS = parseTableSchema(predictionsJson, 'glue-schemas/predictions.json');
export const CHAMPION_CHANGES = parseTableSchema(championChangesJson, 'glue-schemas/champion_changes.json');

/** The forecasting tables, in catalog order. */
export const ML_TABLES = [MODELS, MODEL_EVALUATIONS, PREDICTIONS, CHAMPION_CHANGES] as const;
