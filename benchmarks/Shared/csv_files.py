"""CSV reading and writing shared by the Python benchmark scripts (field text copied unchanged, "\n" line ends)."""
import csv
import os


def read_csv(path):
    """Returns (header, rows) of a UTF-8 CSV file."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def write_csv(path, header, rows):
    """Writes rows (after the header, unless it is None), creating the folder."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        if header is not None:
            w.writerow(header)
        w.writerows(rows)
