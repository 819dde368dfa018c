"""Direct identifiers in raw tables, and keyed pseudonyms."""

import hashlib
import hmac

import pandas as pd
import pytest

from tryghed import identifiers as ids
from tryghed.errors import ConfigError, InputError

KEY = b"a-test-key-of-32-bytes-length!!!"


@pytest.mark.parametrize("text", [
    "010190-1234",               # 1 January 1990
    "0101901234",                # without the dash
    "Borger 0101901234 ringede",  # inside text
    "cpr:311299-4321",           # 31 December 1999 (serial 4, year 99 -> 1999)
    "290200-4234",               # 29 February 2000: serial 4 and year 00 -> 2000, a leap year
    "101901234",                 # 0101901234 whose leading zero a spreadsheet dropped
])
def test_valid_cpr(text):
    assert ids.contains_cpr(text)


@pytest.mark.parametrize("text", [
    "310290-1234",   # 31 February
    "011390-1234",   # month 13
    "000190-1234",   # day 0
    "290200-1234",   # 29 February 1900 (serial 0-3 -> 19xx): 1900 is not a leap year
    "4533123456",    # a phone number with the +45 prefix: day 45
    "1234567890",    # month 34
    "00101901234",   # eleven digits: part of a longer number
    "010190-123",    # three-digit serial
    "2017-01-01",    # an ISO date
    "",
])
def test_not_cpr(text):
    assert not ids.contains_cpr(text)


def test_century_rules():
    # CPR office table: serial digit 0-3 -> 1900s; 4 and 9 -> 2000-2036 / 1937-1999; 5-8 -> 2000-2057 / 1858-1899.
    assert ids._century(36, 4) == 2036 and ids._century(37, 4) == 1937
    assert ids._century(57, 5) == 2057 and ids._century(58, 8) == 1858
    assert ids._century(10, 2) == 1910 and ids._century(36, 9) == 2036


def scan_error(df, **kw) -> str:
    with pytest.raises(InputError) as err:
        ids.scan_table(df, path="raw/sigtede.csv", **kw)
    return str(err.value)


def test_cpr_column_named_without_the_value():
    df = pd.DataFrame({"aar": ["2016", "2017", "2017"], "note": ["", "ok", "kontakt 010190-1234 i dag"]})
    msg = scan_error(df)
    assert "raw/sigtede.csv" in msg
    assert "column 'note'" in msg and "row 4" in msg   # header = row 1, third data row = row 4
    assert "CPR" in msg
    for leak in ("010190", "1234", "0101901234"):
        assert leak not in msg


def test_every_offending_column_is_listed():
    df = pd.DataFrame({"email": ["x", "per@example.dk"], "bydel": ["Valby", "Vanløse"], "navn": ["", "Jens Hansen"]})
    msg = scan_error(df)
    assert "column 'email'" in msg and "column 'navn'" in msg and "bydel" not in msg
    assert "per@example" not in msg and "Jens" not in msg and "Hansen" not in msg


def test_email_found_in_any_column():
    msg = scan_error(pd.DataFrame({"bemærkning": ["ring til mig", "skriv til a.b@kk.dk"]}))
    assert "column 'bemærkning'" in msg and "e-mail" in msg and "kk.dk" not in msg


def test_phone_numbers_only_in_phone_columns():
    msg = scan_error(pd.DataFrame({"tlf_nr": ["", "+45 33 66 33 66"]}))
    assert "column 'tlf_nr'" in msg and "row 3" in msg and "phone" in msg and "33 66" not in msg
    # Eight digits elsewhere are amounts, not phone numbers; a phone-named count column is not a phone column.
    ids.scan_table(pd.DataFrame({"beloeb": ["12345678"], "telefonhenvendelser": ["12"]}), path="x.csv")


def test_identifier_column_names():
    for col, value in (("Navn", "Jens"), ("efternavn", "Hansen"), ("first_name", "Anna"), ("Adresse", "Vej 1"),
                       ("CPR-nr", "999999-9999"), ("personnummer", "zq9")):
        msg = scan_error(pd.DataFrame({col: [value]}))
        assert f"column '{col}'" in msg and value not in msg


def test_harmless_columns_pass():
    ids.scan_table(pd.DataFrame({
        "bydelsnavn": ["Nørrebro"], "area_name": ["Valby"], "institution_name": ["Børnehaven"],
        "antal_adresser": ["12"], "mobilitet": ["høj"], "telefon": [""], "kvartal": ["2017K1"],
        "population": ["123456"], "andel": ["0,123456"],
    }), path="x.csv")


def test_skip_columns():
    df = pd.DataFrame({"navn": ["Valby Skole"], "aar": ["2017"]})
    scan_error(df)
    ids.scan_table(df, path="x.csv", skip=("NAVN",))


def test_header_that_is_a_cpr_number_is_not_repeated():
    df = pd.DataFrame({"aar": ["2017"], "0101901234": ["x"]})
    msg = scan_error(df)
    assert "column 2" in msg and "row 1" in msg and "0101901234" not in msg


def test_scan_latin1_semicolon_csv(tmp_path):
    path = tmp_path / "bandelog.csv"
    path.write_bytes("kvartal;bydel;personer;Navn\n2017K1;Nørrebro;12;\n2017K2;Østerbro;3;Søren Ærø\n"
                     .encode("latin-1"))
    with pytest.raises(InputError) as err:
        ids.scan_file(path)
    msg = str(err.value)
    assert str(path) in msg and "column 'Navn'" in msg and "row 3" in msg and "Søren" not in msg


def test_scan_utf8_tab_csv_clean_and_dirty(tmp_path):
    clean = tmp_path / "clean.tsv"
    clean.write_text("\ufeffaar\tbydel\tantal\n2017\tNørrebro\t12\n", encoding="utf-8")
    ids.scan_file(clean)
    dirty = tmp_path / "dirty.csv"
    dirty.write_text("aar,bydel,antal,kontakt\n2017,Nørrebro,12,nn@example.com\n", encoding="utf-8")
    with pytest.raises(InputError, match="column 'kontakt'"):
        ids.scan_file(dirty)


def test_scan_xlsx_every_sheet(tmp_path):
    path = tmp_path / "lukkedage.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame({"institution": ["A"], "dage": [3]}).to_excel(xl, sheet_name="2016", index=False)
        # A CPR number stored as a number loses its leading zero: 0101901234 -> 101901234.
        pd.DataFrame({"institution": ["B", "C"], "id": [5, 101901234]}).to_excel(xl, sheet_name="2017", index=False)
    with pytest.raises(InputError) as err:
        ids.scan_file(path)
    msg = str(err.value)
    assert "sheet '2017'" in msg and "column 'id'" in msg and "row 3" in msg and "101901234" not in msg


def test_scan_missing_and_xls(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        ids.scan_file(tmp_path / "none.csv")
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputError, match="xlsx"):
        ids.scan_file(old)


def test_pseudonymise_matches_hmac_sha256():
    values = pd.Series(["0101901234", "010190-1234", " per@example.dk ", None, ""], index=[10, 11, 12, 13, 14])
    out = ids.pseudonymise(values, key=KEY)
    want_cpr = hmac.new(KEY, b"0101901234", hashlib.sha256).hexdigest()[:16]
    want_mail = hmac.new(KEY, b"per@example.dk", hashlib.sha256).hexdigest()[:16]
    assert out.index.tolist() == [10, 11, 12, 13, 14]
    assert out.iloc[:3].tolist() == [want_cpr, want_cpr, want_mail]
    assert out.iloc[3:].isna().all()
    assert len(want_cpr) == ids.PSEUDONYM_HEX == 16


def test_pseudonymise_is_deterministic_per_key():
    a = ids.pseudonymise(["x1", "x2"], key=KEY)
    assert a.tolist() == ids.pseudonymise(["x1", "x2"], key=KEY).tolist()
    assert a.iloc[0] != a.iloc[1]
    other = ids.pseudonymise(["x1"], key=b"another-key-of-enough-length")
    assert other.iloc[0] != a.iloc[0]
    with pytest.raises(ValueError):
        ids.pseudonymise(["x1"], key=b"short")


def test_key_from_env():
    assert ids.key_from_env({"TRYGHED_PSEUDONYM_KEY": "k" * 16}, path="p.csv", column="cpr") == b"k" * 16
    with pytest.raises(ConfigError) as err:
        ids.key_from_env({}, path="raw/sigtede.csv", column="cpr")
    msg = str(err.value)
    assert "TRYGHED_PSEUDONYM_KEY" in msg and "raw/sigtede.csv" in msg and "'cpr'" in msg and "16 bytes" in msg
    with pytest.raises(ConfigError) as err:
        ids.key_from_env({"TRYGHED_PSEUDONYM_KEY": "s3cr3tz"}, path="p.csv", column="cpr")
    assert "7 bytes" in str(err.value) and "s3cr3tz" not in str(err.value)
