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

type Missing = 'error' | 'skipRow' | 'mean' | number;

function checkCsvOptions(path: unknown, options: CsvOptions): { header: boolean; missing: Missing } {
  if (typeof path !== 'string') throw new TypeError(`fromCsv: path must be a string, got ${describe(path)}`);
  checkKeys(options, 'fromCsv', ['label', 'columns', 'header', 'delimiter', 'missing', 'labelType']);
  const header = options.header ?? true;
  if (typeof header !== 'boolean') throw new TypeError(`fromCsv: header must be true or false, got ${describe(header)}`);
  const missing = options.missing ?? 'error';
  if (!(missing === 'error' || missing === 'skipRow' || missing === 'mean' || (typeof missing === 'number' && Number.isFinite(missing))))
    throw new TypeError(`fromCsv: missing must be 'error', 'skipRow', 'mean' or a finite number, got ${describe(missing)}`);
  if (options.labelType !== undefined && options.labelType !== 'class' && options.labelType !== 'number')
    throw new TypeError(`fromCsv: labelType must be 'class' or 'number', got ${describe(options.labelType)}`);
  return { header, missing };
}

/** Which columns are features and which is the label, from the header (or the first row's width). */
class Columns {
  readonly names: string[];
  readonly features: number[];
  readonly label: number;

  constructor(names: string[], options: CsvOptions, where: string) {
    this.names = names;
    const position = new Map<string, number>(); // column name -> index: linear in the number of columns
    for (let i = 0; i < names.length; i++) {
      if (position.has(names[i])) throw new Error(`${where}: the header names column ${quoted(names[i])} twice; column names must be unique`);
      position.set(names[i], i);
    }
    const resolve = (col: string | number, what: string): number => {
      const i = typeof col === 'number' ? col : position.get(col) ?? -1;
      if (typeof col === 'number' ? !Number.isInteger(col) || col < 0 || col >= names.length : i < 0)
        throw new Error(`${where}: ${what} ${typeof col === 'string' ? quoted(col) : describe(col)} is not a column; the columns are ${names.slice(0, 20).map(quoted).join(', ')}${names.length > 20 ? ` and ${names.length - 20} more` : ''}`);
      return i;
    };
    this.label = options.label === undefined ? -1 : resolve(options.label, 'label');
    this.features = options.columns ? options.columns.map((c) => resolve(c, 'columns[]')) : names.map((_, i) => i).filter((i) => i !== this.label);
    if (this.features.includes(this.label)) throw new Error(`${where}: the label column ${quoted(names[this.label])} is also listed in columns`);
    if (this.features.length === 0) throw new Error(`${where}: no feature columns are left besides the label ${quoted(names[this.label])}`);
  }
}

/** What the rows gave: feature values (missing ones at missingAt), label texts, counts. */
interface Rows {
  columns?: Columns;
  values: FloatColumnStore;
  missingAt: number[];
  labelTexts: string[];
  rows: number;
  skippedRows: number;
}

/** Reads a CSV file into { x, y, featureNames, classes }. */
export async function fromCsv(path: string, options: CsvOptions & { label: string | number }): Promise<CsvData & { y: Tensor; labelName: string }>;
export async function fromCsv(path: string, options?: CsvOptions): Promise<CsvData>;
export async function fromCsv(path: string, options: CsvOptions = {}): Promise<CsvData> {
  const { header, missing } = checkCsvOptions(path, options);
  const where = `fromCsv: '${path}'`;
  const read = await readRows(path, options, header, missing, where);
  const columns = read.columns;
  if (!columns) throw new Error(`${where} is empty: expected ${header ? 'a header row and ' : ''}at least one data row`);
  if (read.rows === 0) throw new Error(`${where} has ${header ? 'a header but ' : ''}no data rows${read.skippedRows ? ` (all ${read.skippedRows} were skipped for missing values)` : ''}`);
  const features = columns.features.length;
  const x = read.values.take();
  if (missing === 'mean' && read.missingAt.length) fillWithMeans(x, features, read.missingAt, (c) => columns.names[columns.features[c]], where);
  const result: CsvData = { x: new Tensor(x, [read.rows, features], 'float32'), featureNames: columns.features.map((i) => columns.names[i]), skippedRows: read.skippedRows };
  if (columns.label >= 0) Object.assign(result, { labelName: columns.names[columns.label] }, labelsOf(read.labelTexts, options.labelType, where));
  return result;
}

/** Streams the file through csv-parse, converting each row's cells as it arrives. */
async function readRows(path: string, options: CsvOptions, header: boolean, missing: Missing, where: string): Promise<Rows> {
  const input = createReadStream(path);
  const parser = input.pipe(
    parse({ delimiter: options.delimiter ?? ',', bom: true, trim: true, skip_empty_lines: true, info: true, relax_column_count: false }),
  );
  // pipe() does not forward the file's errors (missing, unreadable): hand them to the parser.
  input.on('error', (e) => parser.destroy(e));
  const read: Rows = { values: new FloatColumnStore(), missingAt: [], labelTexts: [], rows: 0, skippedRows: 0 };
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (!read.columns) {
        read.columns = new Columns(header ? record : record.map((_, i) => String(i)), options, where);
        if (header) continue;
      }
      addRow(read, read.columns, record, info.lines, missing, where);
    }
  } catch (e) {
    throw csvError(e, header, options.delimiter ?? ',', where);
  }
  return read;
}

/** One data row: its features (or a skip, for missing: 'skipRow') and its label text. */
function addRow(read: Rows, columns: Columns, record: string[], line: number, missing: Missing, where: string): void {
  const { values, missingAt } = read;
  const start = values.length;
  let skip = false;
  for (const c of columns.features) {
    const cell = record[c];
    // The common case first: a number (Number('') is 0, so an empty cell is not one).
    const v = Number(cell);
    if (cell !== '' && Number.isFinite(v)) {
      if (Math.abs(v) > FLOAT32_MAX || nonDecimal(cell))
        throw new Error(`${where} line ${line}, column ${quoted(columns.names[c])}: ${quoted(cell)} is ${nonDecimal(cell) ? 'not a decimal number' : 'outside the float32 range (about ±3.4e38)'}`);
      values.push(v);
      continue;
    }
    if (MISSING.has(cell.toLowerCase())) {
      if (missing === 'error')
        throw new Error(`${where} line ${line}, column ${quoted(columns.names[c])}: the value is missing (${cell === '' ? 'empty' : quoted(cell)}); fill it in, or pass missing: 'skipRow' | 'mean' | <number>`);
      if (missing === 'skipRow') { skip = true; break; }
      missingAt.push(values.length);
      values.push(typeof missing === 'number' ? missing : NaN);
      continue;
    }
    throw new Error(`${where} line ${line}, column ${quoted(columns.names[c])}: ${quoted(cell)} is not a number; feature columns must be numeric (drop the column with the columns option, or encode it as numbers)`);
  }
  if (!skip && columns.label >= 0 && MISSING.has(record[columns.label].toLowerCase())) {
    if (missing !== 'skipRow') throw new Error(`${where} line ${line}, column ${quoted(columns.names[columns.label])}: the label is missing; fill it in or pass missing: 'skipRow'`);
    skip = true;
  }
  if (skip) {
    // Roll back this row's cells.
    values.length = start;
    while (missingAt.length && missingAt[missingAt.length - 1] >= start) missingAt.pop();
    read.skippedRows++;
    return;
  }
  if (columns.label >= 0) read.labelTexts.push(record[columns.label]);
  read.rows++;
}

/** csv-parse's errors (and the file's) in the file's words. */
function csvError(e: unknown, header: boolean, delimiter: string, where: string): unknown {
  if (e instanceof CsvError) {
    const line = (e as CsvError & { lines?: number }).lines;
    const ragged = /expect (\d+), got (\d+)/.exec(e.message);
    const what = ragged
      ? `the row has ${ragged[2]} fields but ${header ? 'the header' : 'the first row'} has ${ragged[1]}; every row needs one value per column (quote fields that contain '${delimiter}')`
      : e.message;
    return new Error(`${where}${line ? ` line ${line}` : ''}: ${what}`);
  }
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new Error(`${where}: no such file`);
  if (code === 'EISDIR') return new Error(`${where} is a folder, not a CSV file`);
  return e;
}

/** missing: 'mean': each missing cell becomes its column's mean over the present values. */
function fillWithMeans(x: Float32Array, features: number, missingAt: number[], nameOf: (column: number) => string, where: string): void {
  const sum = new Float64Array(features), count = new Float64Array(features);
  for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i])) { sum[i % features] += x[i]; count[i % features]++; }
  for (const at of missingAt) {
    const c = at % features;
    if (count[c] === 0) throw new Error(`${where}: column '${nameOf(c)}' has no values at all, so missing: 'mean' cannot fill it`);
    x[at] = sum[c] / count[c];
  }
}

/** The label column as float32 targets [n, 1] or int32 classes [n] (text labels numbered in sorted order). */
function labelsOf(labelTexts: string[], labelType: CsvOptions['labelType'], where: string): Pick<CsvData, 'y' | 'classes'> {
  const rows = labelTexts.length;
  // Decimal numbers only (0x10 is text here), as for features.
  const numeric = labelTexts.map((t) => (nonDecimal(t) ? NaN : Number(t)));
  const allNumeric = numeric.every(Number.isFinite);
  if ((labelType ?? (allNumeric ? 'number' : 'class')) === 'number') {
    const bad = numeric.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`${where}: label ${quoted(labelTexts[bad])} in data row ${bad + 1} is not a number; use labelType: 'class' for text labels`);
    const huge = numeric.findIndex((v) => Math.abs(v) > FLOAT32_MAX);
    if (huge >= 0) throw new Error(`${where}: label ${quoted(labelTexts[huge])} in data row ${huge + 1} is outside the float32 range (about ±3.4e38)`);
    return { y: new Tensor(Float32Array.from(numeric), [rows, 1], 'float32') };
  }
  if (allNumeric) {
    const bad = numeric.findIndex((v) => !Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1);
    if (bad >= 0) throw new Error(`${where}: class label ${quoted(labelTexts[bad])} in data row ${bad + 1} must be an integer from 0 to 2^31 - 1 (or text)`);
    return { y: new Tensor(Int32Array.from(numeric), [rows], 'int32') };
  }
  const classes = [...new Set(labelTexts)].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  return { y: new Tensor(Int32Array.from(labelTexts, (t) => index.get(t)!), [rows], 'int32'), classes };
}
