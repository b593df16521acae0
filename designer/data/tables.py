"""Small CSV helpers shared by the CSV-based datastores: reading, column lookup, typed columns."""

from __future__ import annotations

import codecs
import csv
import io
import os
from dataclasses import dataclass

import numpy as np

from designer.data.summary import DataError

MISSING = ("", "na", "nan", "null", "none", "?")


@dataclass
class Table:
    """A CSV file as a header and rows of strings."""

    path: str
    header: list[str]
    rows: list[list[str]]
    encoding: str = "utf-8"

    def index(self, column: str | int) -> int:
        """Position of a column given by name or number; DataError when absent."""
        if isinstance(column, int):
            if not 0 <= column < len(self.header):
                raise DataError(
                    f"column number {column} is out of range for '{self.path}', "
                    f"which has {len(self.header)} columns"
                )
            return column
        if column not in self.header:
            raise DataError(
                f"expected a column '{column}' in '{self.path}', received columns {self.header}"
            )
        return self.header.index(column)

    def column(self, column: str | int) -> list[str]:
        """All values of a column as strings."""
        j = self.index(column)
        return [row[j] for row in self.rows]

    def is_numeric(self, column: str | int) -> bool:
        """True when every non-missing value of the column parses as a number."""
        values = [v for v in self.column(column) if v.strip().lower() not in MISSING]
        try:
            for v in values:
                float(v)
        except ValueError:
            return False
        return bool(values)

    def numeric(self, column: str | int, purpose: str = "a number") -> np.ndarray:
        """A column as float64; DataError naming the line when a value is missing or not a number."""
        j = self.index(column)
        name = self.header[j]
        out = np.empty(len(self.rows), dtype=np.float64)
        for i, row in enumerate(self.rows):
            text = row[j].strip()
            line = i + 2  # 1-based, after the header
            if text.lower() in MISSING:
                raise DataError(
                    f"column '{name}' of '{self.path}' has a missing value on line {line}; "
                    f"expected {purpose}"
                )
            try:
                out[i] = float(text)
            except ValueError:
                raise DataError(
                    f"column '{name}' of '{self.path}' holds '{text}' on line {line}; "
                    f"expected {purpose}"
                ) from None
        return out

    def categories(self, column: str | int) -> tuple[list[str], np.ndarray]:
        """A categorical column as (sorted category names, int index per row)."""
        j = self.index(column)
        name = self.header[j]
        values = [row[j].strip() for row in self.rows]
        for i, v in enumerate(values):
            if v.lower() in MISSING:
                raise DataError(
                    f"column '{name}' of '{self.path}' has a missing value on line {i + 2}; "
                    "expected a category"
                )
        names = sorted(set(values), key=_natural_key)
        lookup = {n: k for k, n in enumerate(names)}
        return names, np.array([lookup[v] for v in values], dtype=np.int64)


def _natural_key(text: str) -> tuple:
    try:
        return (0, float(text), text)
    except ValueError:
        return (1, 0.0, text)


# Encodings tried in turn when a CSV has no byte-order mark: UTF-8, then Windows' Western
# code page, then Latin-1 (which reads any bytes).
ENCODINGS = ("utf-8", "cp1252", "latin-1")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(raw: bytes, path: str) -> tuple[str, str]:
    """(text, encoding) of a file's bytes: its byte-order mark, else the first of ENCODINGS
    that fits."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise DataError(f"'{path}' starts like {encoding} text but is not: {exc}") from exc
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def read_csv(path: str | os.PathLike, has_header: bool = True) -> Table:
    """Read a CSV (delimiter sniffed among , ; tab; encoding from ENCODINGS) into a Table;
    DataError on ragged rows, fields over csv.field_size_limit() and damaged files."""
    path = str(path)
    if not os.path.isfile(path):
        raise DataError(f"expected a CSV file at '{path}', but there is no such file")
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise DataError(f"cannot read the CSV file '{path}': {exc}") from exc
    text, encoding = decode_text(raw, path)
    try:
        dialect: type[csv.Dialect] = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows = []
    try:
        for row in reader:
            if any(c.strip() for c in row):
                rows.append(row)
    except csv.Error as exc:
        raise DataError(_csv_problem(path, reader.line_num, exc)) from exc
    if not rows:
        raise DataError(f"expected rows in '{path}', but the file is empty")
    if has_header:
        header = [h.strip() for h in rows[0]]
        rows = rows[1:]
    else:
        header = [f"col{i}" for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        if len(row) != len(header):
            line = i + (2 if has_header else 1)
            raise DataError(
                f"line {line} of '{path}' has {len(row)} values; expected {len(header)} "
                f"like the header"
            )
    if not rows:
        raise DataError(f"expected data rows in '{path}', but it only has a header")
    return Table(path, header, rows, encoding)


def _csv_problem(path: str, line: int, exc: csv.Error) -> str:
    """The sentence for an error of the csv module on ``line``."""
    text = str(exc)
    if "field larger than field limit" in text:
        return (
            f"line {line} of '{path}' has a field over {csv.field_size_limit():,} characters; "
            "expected short values (numbers, categories, file names)"
        )
    if "NUL" in text:
        return f"line {line} of '{path}' holds a NUL character; expected text (is it a CSV file?)"
    return f"cannot read line {line} of '{path}' as CSV: {text}"
