// What a run folder records so that `gradloop predict` prepares new inputs exactly as the
// training inputs were: the feature columns, the fitted scaler and the class names.
import type { ScalerJSON } from '../data/preprocess.js';

export const PREPROCESSING_FILE = 'preprocessing.json';

export interface Preprocessing {
  featureNames?: string[];
  labelName?: string;
  classes?: string[];
  scaler?: ScalerJSON;
}
