// CSV into tensors, streamed: csv-parse does the quoting, delimiters and line endings; rows are
// converted as they arrive into growing typed arrays, so a large file never exists as strings all
// at once. Every problem is reported with the file, line and column.
import { createReadStream } from 'node:fs';
import { parse, CsvError } from 'csv-parse';
import { Tensor } from '../tensor.js';
import { checkKeys, describe } from '../validate.js';

export interface CsvOptions {
  /** The label column, by name (or by 0-based index when header is false). Omit for features only. */
  label?: string | number;
  /** Feature columns to keep, in this order (default: every column but the label). */
  columns?: Array<string | number>;
  /** The first row names the columns (default true). Without it columns are named '0', '1', ... */
  header?: boolean;
  /** Field delimiter (default ','). */
  delimiter?: string;
  /**
   * What a missing cell (empty, NA, NaN, null, ?) in a feature column does: 'error' (default),
   * 'skipRow' to drop the row, 'mean' to fill in the column's mean, or a number to fill in.
   * A missing label is always an error unless missing is 'skipRow'.
   */
  missing?: 'error' | 'skipRow' | 'mean' | number;
  /**
   * 'class': labels are classes, int32 indices (text labels are sorted and numbered, see
   * `classes`; numeric labels must be integers >= 0 and are kept). 'number': float32 targets
   * [n, 1] for regression. Default: 'class' when any label is text, else 'number'.
   */
  labelType?: 'class' | 'number';
}

export interface CsvData {
  /** Features, float32 [rows, features]. */
  x: Tensor;
  /** Labels: int32 [rows] class indices or float32 [rows, 1] targets; absent without `label`. */
  y?: Tensor;
  featureNames: string[];
  labelName?: string;
  /** Text labels in index order (y = 2 means classes[2]); absent for numeric labels. */
  classes?: string[];
  /** Rows dropped by missing: 'skipRow'. */
  skippedRows: number;
}

const MISSING = new Set(['', 'na', 'nan', 'null', 'none', '?', 'n/a']);
const FLOAT32_MAX = 3.4028234663852886e38;

/** A cell as error messages show it: quoted, and cut to 40 characters (a cell may be megabytes). */
function quoted(cell: string): string {
  return cell.length <= 40 ? `'${cell}'` : `'${cell.slice(0, 40)}...' (${cell.length} characters)`;
}

/** Number() also reads hexadecimal, binary and octal (0x10, 0b11, 0o7): a CSV number is decimal. */
const nonDecimal = (cell: string) => cell.length > 2 && cell.charCodeAt(0) === 48 && 'xXbBoO'.includes(cell[1]);

/** Growable Float32Array (amortised doubling). */
class FloatColumnStore {
  data = new Float32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
  take(): Float32Array {
    return this.data.slice(0, this.length);
  }
}

/** Reads a CSV file into { x, y, featureNames, classes }. */
export async function fromCsv(path: string, options: CsvOptions = {}): Promise<CsvData> {
  if (typeof path !== 'string') throw new TypeError(`fromCsv: path must be a string, got ${describe(path)}`);
  checkKeys(options, 'fromCsv', ['label', 'columns', 'header', 'delimiter', 'missing', 'labelType']);
  const header = options.header ?? true;
  if (typeof header !== 'boolean') throw new TypeError(`fromCsv: header must be true or false, got ${describe(header)}`);
  const missing = options.missing ?? 'error';
  if (!(missing === 'error' || missing === 'skipRow' || missing === 'mean' || (typeof missing === 'number' && Number.isFinite(missing))))
    throw new TypeError(`fromCsv: missing must be 'error', 'skipRow', 'mean' or a finite number, got ${describe(missing)}`);
  if (options.labelType !== undefined && options.labelType !== 'class' && options.labelType !== 'number')
    throw new TypeError(`fromCsv: labelType must be 'class' or 'number', got ${describe(options.labelType)}`);
  const where = `fromCsv: '${path}'`;

  const input = createReadStream(path);
  const parser = input.pipe(
    parse({ delimiter: options.delimiter ?? ',', bom: true, trim: true, skip_empty_lines: true, info: true, relax_column_count: false }),
  );

  // pipe() does not forward the file's errors (missing, unreadable): hand them to the parser.
  input.on('error', (e) => parser.destroy(e));

  let names: string[] | undefined;
  let featureIdx: number[] = [];
  let labelIdx = -1;
  const values = new FloatColumnStore();
  const missingAt: number[] = []; // flat positions of missing feature cells, filled in at the end
  const labelTexts: string[] = [];
  let rows = 0, skippedRows = 0;

  let position = new Map<string, number>(); // column name -> index
  const resolve = (col: string | number, what: string): number => {
    const i = typeof col === 'number' ? col : position.get(col) ?? -1;
    if (typeof col === 'number' ? !Number.isInteger(col) || col < 0 || col >= names!.length : i < 0)
      throw new Error(`${where}: ${what} ${typeof col === 'string' ? quoted(col) : describe(col)} is not a column; the columns are ${names!.slice(0, 20).map(quoted).join(', ')}${names!.length > 20 ? ` and ${names!.length - 20} more` : ''}`);
    return i;
  };
  const setColumns = (columnNames: string[]) => {
    names = columnNames;
    position = new Map();
    for (let i = 0; i < names.length; i++) {
      if (position.has(names[i])) throw new Error(`${where}: the header names column ${quoted(names[i])} twice; column names must be unique`);
      position.set(names[i], i);
    }
    labelIdx = options.label === undefined ? -1 : resolve(options.label, 'label');
    featureIdx = options.columns
      ? options.columns.map((c) => resolve(c, 'columns[]'))
      : names.map((_, i) => i).filter((i) => i !== labelIdx);
    if (featureIdx.includes(labelIdx)) throw new Error(`${where}: the label column ${quoted(names[labelIdx])} is also listed in columns`);
    if (featureIdx.length === 0) throw new Error(`${where}: no feature columns are left besides the label ${quoted(names[labelIdx])}`);
  };

  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (!names) {
        if (header) {
          setColumns(record);
          continue;
        }
        setColumns(record.map((_, i) => String(i)));
      }
      const line = info.lines;
      const cols = names!;
      const start = values.length;
      let skip = false;
      for (const c of featureIdx) {
        const cell = record[c];
        // The common case first: a number (Number('') is 0, so an empty cell is not one).
        const v = Number(cell);
        if (cell !== '' && Number.isFinite(v)) {
          if (Math.abs(v) > FLOAT32_MAX || nonDecimal(cell))
            throw new Error(`${where} line ${line}, column ${quoted(cols[c])}: ${quoted(cell)} is ${nonDecimal(cell) ? 'not a decimal number' : 'outside the float32 range (about ±3.4e38)'}`);
          values.push(v);
          continue;
        }
        if (MISSING.has(cell.toLowerCase())) {
          if (missing === 'error')
            throw new Error(`${where} line ${line}, column ${quoted(cols[c])}: the value is missing (${cell === '' ? 'empty' : quoted(cell)}); fill it in, or pass missing: 'skipRow' | 'mean' | <number>`);
          if (missing === 'skipRow') { skip = true; break; }
          missingAt.push(values.length);
          values.push(typeof missing === 'number' ? missing : NaN);
          continue;
        }
        throw new Error(`${where} line ${line}, column ${quoted(cols[c])}: ${quoted(cell)} is not a number; feature columns must be numeric (drop the column with the columns option, or encode it as numbers)`);
      }
      if (!skip && labelIdx >= 0 && MISSING.has(record[labelIdx].toLowerCase())) {
        if (missing !== 'skipRow') throw new Error(`${where} line ${line}, column ${quoted(cols[labelIdx])}: the label is missing; fill it in or pass missing: 'skipRow'`);
        skip = true;
      }
      if (skip) {
        // Roll back this row's cells.
        values.length = start;
        while (missingAt.length && missingAt[missingAt.length - 1] >= start) missingAt.pop();
        skippedRows++;
        continue;
      }
      if (labelIdx >= 0) labelTexts.push(record[labelIdx]);
      rows++;
    }
  } catch (e) {
    if (e instanceof CsvError) {
      const line = (e as CsvError & { lines?: number }).lines;
      const ragged = /expect (\d+), got (\d+)/.exec(e.message);
      const what = ragged
        ? `the row has ${ragged[2]} fields but ${header ? 'the header' : 'the first row'} has ${ragged[1]}; every row needs one value per column (quote fields that contain '${options.delimiter ?? ','}')`
        : e.message;
      throw new Error(`${where}${line ? ` line ${line}` : ''}: ${what}`);
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${where}: no such file`);
    if (code === 'EISDIR') throw new Error(`${where} is a folder, not a CSV file`);
    throw e;
  }
  if (!names) throw new Error(`${where} is empty: expected ${header ? 'a header row and ' : ''}at least one data row`);
  if (rows === 0) throw new Error(`${where} has ${header ? 'a header but ' : ''}no data rows${skippedRows ? ` (all ${skippedRows} were skipped for missing values)` : ''}`);

  const features = featureIdx.length;
  const x = values.take();
  if (missing === 'mean' && missingAt.length) {
    const sum = new Float64Array(features), count = new Float64Array(features);
    for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i])) { sum[i % features] += x[i]; count[i % features]++; }
    for (const at of missingAt) {
      const c = at % features;
      if (count[c] === 0) throw new Error(`${where}: column '${names[featureIdx[c]]}' has no values at all, so missing: 'mean' cannot fill it`);
      x[at] = sum[c] / count[c];
    }
  }

  const result: CsvData = { x: new Tensor(x, [rows, features], 'float32'), featureNames: featureIdx.map((i) => names![i]), skippedRows };
  if (labelIdx >= 0) {
    result.labelName = names[labelIdx];
    // Decimal numbers only (0x10 is text here), as for features.
    const numeric = labelTexts.map((t) => (nonDecimal(t) ? NaN : Number(t)));
    const allNumeric = numeric.every(Number.isFinite);
    const labelType = options.labelType ?? (allNumeric ? 'number' : 'class');
    if (labelType === 'number') {
      const bad = numeric.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new Error(`${where}: label ${quoted(labelTexts[bad])} in data row ${bad + 1} is not a number; use labelType: 'class' for text labels`);
      const huge = numeric.findIndex((v) => Math.abs(v) > FLOAT32_MAX);
      if (huge >= 0) throw new Error(`${where}: label ${quoted(labelTexts[huge])} in data row ${huge + 1} is outside the float32 range (about ±3.4e38)`);
      result.y = new Tensor(Float32Array.from(numeric), [rows, 1], 'float32');
    } else if (allNumeric) {
      const bad = numeric.findIndex((v) => !Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1);
      if (bad >= 0) throw new Error(`${where}: class label ${quoted(labelTexts[bad])} in data row ${bad + 1} must be an integer from 0 to 2^31 - 1 (or text)`);
      result.y = new Tensor(Int32Array.from(numeric), [rows], 'int32');
    } else {
      const classes = [...new Set(labelTexts)].sort();
      const index = new Map(classes.map((c, i) => [c, i]));
      result.y = new Tensor(Int32Array.from(labelTexts, (t) => index.get(t)!), [rows], 'int32');
      result.classes = classes;
    }
  }
  return result;
}
