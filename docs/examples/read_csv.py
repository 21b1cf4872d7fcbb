"""Read an OpenPREP (INE 2024 layout) results CSV with pandas.

    python3 read_csv.py PRES_2024.csv

The file is UTF-8 with a byte-order mark and every line ends in a carriage return (\\r)
alone. Lines 1-2 are the title and the cut time, line 3 is blank, lines 4-5 the 13
aggregates (names, values), line 6 is blank, line 7 the acta table's header and every
line from 8 on one acta. Tested with pandas 1.5 (Debian 12) by tools/cuts_pandas.test.ts.
"""
import json
import sys

import pandas as pd

OPTIONS = dict(
    encoding="utf-8-sig",     # drops the byte-order mark
    lineterminator="\r",      # lines end in \r alone
    skip_blank_lines=False,   # so that skiprows counts lines 3 and 6 too
    dtype=str,                # keep "0338", "'010338B0100", "Ilegible", "Sin dato", "-" as text
    keep_default_na=False,    # and never turn a cell into NaN
)


def read_results(path):
    summary = pd.read_csv(path, skiprows=3, nrows=1, **OPTIONS)  # line 4: names, line 5: values
    actas = pd.read_csv(path, skiprows=6, **OPTIONS)             # line 7: header, then the actas
    # CLAVE_CASILLA and CLAVE_ACTA start with ' so spreadsheets keep their leading zeros;
    # fuera de catálogo rows have "-" instead of a key.
    for column in ("CLAVE_CASILLA", "CLAVE_ACTA"):
        actas[column] = actas[column].str.removeprefix("'")
    return summary.iloc[0], actas


def main(path):
    summary, actas = read_results(path)
    counted = actas[actas["CONTABILIZADA"] == "1"]
    # Only counted actas add up; a counted acta's TOTAL_VOTOS_CALCULADO is always a number.
    total = int(pd.to_numeric(counted["TOTAL_VOTOS_CALCULADO"]).sum())
    # A vote cell is a number, "Ilegible", "Sin dato" or "-": numbers only, the rest as 0.
    first_vote_column = actas.columns[list(actas.columns).index("TOTAL_VOTOS_SACADOS") + 1]
    first_votes = int(pd.to_numeric(counted[first_vote_column], errors="coerce").fillna(0).sum())
    print(json.dumps({
        "rows": len(actas),
        "columns": len(actas.columns),
        "first_key": actas["CLAVE_CASILLA"].iloc[0] if len(actas) else None,
        "contabilizadas": len(counted),
        "total_votos_calculado_contabilizadas": total,
        "header_total_votos_c_cs": int(summary["TOTAL_VOTOS_C_CS"]),
        "header_actas_contabilizadas": int(summary["ACTAS_CONTABILIZADAS"]),
        "first_vote_column": first_vote_column,
        "first_vote_column_votes": first_votes,
        "texts_in_first_vote_column": sorted(c for c in set(actas[first_vote_column]) if not c.isdigit()),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1])
