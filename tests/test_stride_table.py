"""Stride-table CSV reader: good files and every kind of bad input."""

import numpy as np
import pytest

from simsrc.errors import SimsrcInputError
from simsrc.measured.stride_table import ALLOWED_COLUMNS, read_stride_table


def write(tmp_path, text, name="strides.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_required_columns_only(tmp_path):
    path = write(
        tmp_path, "speed_m_per_s,contact_time_s,flight_time_s\n2.5,0.28,0.10\n3.5,0.22,0.12\n"
    )
    table = read_stride_table(path)
    assert table.n_rows == 2
    np.testing.assert_array_equal(table.speed_m_per_s, [2.5, 3.5])
    np.testing.assert_array_equal(table.contact_time_s, [0.28, 0.22])
    np.testing.assert_array_equal(table.flight_time_s, [0.10, 0.12])
    assert table.step_length_m is None and table.peak_force_n is None
    assert table.mass_kg is None and table.leg_length_m is None
    assert table.source == str(path)


def test_all_columns_any_order_spaces_blank_lines_and_empty_optional_cell(tmp_path):
    path = write(
        tmp_path,
        " mass_kg , leg_length_m,flight_time_s,contact_time_s,speed_m_per_s,"
        "step_length_m,peak_force_n\n"
        "62, 0.95, 0.10, 0.28, 2.5, 0.96, 1350\n"
        "\n"
        "62, 0.95, 0.12, 0.22, 3.5, , 1500\n",
    )
    table = read_stride_table(path)
    assert table.n_rows == 2
    np.testing.assert_array_equal(table.mass_kg, [62.0, 62.0])
    np.testing.assert_array_equal(table.speed_m_per_s, [2.5, 3.5])
    assert table.step_length_m[0] == 0.96 and np.isnan(table.step_length_m[1])
    np.testing.assert_array_equal(table.peak_force_n, [1350.0, 1500.0])


def test_unknown_column_names_it_and_the_allowed_ones(tmp_path):
    path = write(tmp_path, "speed_m_per_s,contact_time_s,flight_time_s,cadence\n3,0.2,0.1,180\n")
    with pytest.raises(SimsrcInputError) as info:
        read_stride_table(path)
    message = str(info.value)
    assert str(path) in message and "'cadence'" in message
    assert all(name in message for name in ALLOWED_COLUMNS)


def test_wrong_header_is_refused(tmp_path):
    path = write(tmp_path, "speed,contact,flight\n3,0.2,0.1\n")
    with pytest.raises(SimsrcInputError, match="unknown column 'speed'"):
        read_stride_table(path)


def test_headerless_file_is_refused(tmp_path):
    path = write(tmp_path, "3,0.2,0.1\n2.5,0.28,0.1\n")
    with pytest.raises(SimsrcInputError, match=r"unknown column '3'"):
        read_stride_table(path)


def test_missing_required_column(tmp_path):
    path = write(tmp_path, "speed_m_per_s,contact_time_s\n3,0.2\n")
    with pytest.raises(SimsrcInputError, match=r"missing required column.*flight_time_s") as info:
        read_stride_table(path)
    assert str(path) in str(info.value)


def test_duplicate_column(tmp_path):
    path = write(
        tmp_path, "speed_m_per_s,contact_time_s,flight_time_s,speed_m_per_s\n3,0.2,0.1,3\n"
    )
    with pytest.raises(SimsrcInputError, match="appears twice"):
        read_stride_table(path)


def test_non_numeric_cell_names_file_row_column_value(tmp_path):
    path = write(
        tmp_path, "speed_m_per_s,contact_time_s,flight_time_s\n3,0.2,0.1\n3.5,fast,0.12\n"
    )
    with pytest.raises(SimsrcInputError) as info:
        read_stride_table(path)
    message = str(info.value)
    assert str(path) in message
    assert "row 2" in message and "'contact_time_s'" in message and "'fast'" in message
    assert "> 0" in message


@pytest.mark.parametrize("bad", ["0", "-0.1", "nan", "inf", ""])
def test_non_positive_or_missing_required_value(tmp_path, bad):
    path = write(tmp_path, f"speed_m_per_s,contact_time_s,flight_time_s\n3,0.2,{bad}\n")
    with pytest.raises(SimsrcInputError, match=r"row 1 \(line 2\), column 'flight_time_s'"):
        read_stride_table(path)


def test_negative_optional_value(tmp_path):
    path = write(tmp_path, "speed_m_per_s,contact_time_s,flight_time_s,mass_kg\n3,0.2,0.1,-62\n")
    with pytest.raises(SimsrcInputError, match=r"column 'mass_kg': value '-62'.*or an empty cell"):
        read_stride_table(path)


def test_row_with_wrong_cell_count(tmp_path):
    path = write(tmp_path, "speed_m_per_s,contact_time_s,flight_time_s\n3,0.2\n")
    with pytest.raises(SimsrcInputError, match=r"row 1 \(line 2\): 2 cells"):
        read_stride_table(path)


def test_empty_file_and_header_only(tmp_path):
    with pytest.raises(SimsrcInputError, match="empty file"):
        read_stride_table(write(tmp_path, "", "empty.csv"))
    with pytest.raises(SimsrcInputError, match="no data rows"):
        read_stride_table(write(tmp_path, "speed_m_per_s,contact_time_s,flight_time_s\n", "h.csv"))


def test_missing_and_binary_file(tmp_path):
    with pytest.raises(SimsrcInputError, match="absent.csv"):
        read_stride_table(tmp_path / "absent.csv")
    path = tmp_path / "binary.csv"
    path.write_bytes(b"\xff\xfe\x00garbage\x80\x81")
    with pytest.raises(SimsrcInputError, match="binary.csv"):
        read_stride_table(path)


@pytest.mark.parametrize("row, column, words", [
    ("0.1,0.22,0.12", "speed_m_per_s", ["0.1 m/s", "a running speed", "0.5 to 13 m/s"]),
    ("3.5,0.001,0.12", "contact_time_s", ["0.001 s", "a running contact", "0.05 to 1 s"]),
    ("3.5,1e308,0.12", "contact_time_s", ["1e+308 s", "0.05 to 1 s"]),
    ("3.5,0.22,5", "flight_time_s", ["5 s", "a running flight", "0.001 to 0.5 s"]),
])
def test_a_stride_no_runner_can_have_is_refused_not_fitted(tmp_path, row, column, words):
    """The issue's impossible strides (0.1 m/s, 1 ms contact, 5 s flight, 1e308 s) are refused
    with the row, the column, the value and the allowed range."""
    path = write(tmp_path, f"speed_m_per_s,contact_time_s,flight_time_s\n{row}\n")
    with pytest.raises(SimsrcInputError) as e:
        read_stride_table(path)
    text = str(e.value)
    assert "row 1" in text and repr(column) in text
    for w in words:
        assert w in text, (w, text)


def test_published_strides_are_inside_the_physical_ranges(tmp_path):
    """Fukuchi et al.'s mean steps (the shipped data) and a sprint pass the check."""
    path = write(tmp_path, "speed_m_per_s,contact_time_s,flight_time_s,step_length_m,mass_kg\n"
                           "2.5,0.282,0.100,0.95,62\n3.5,0.229,0.122,1.2,62\n"
                           "10.5,0.09,0.12,2.4,80\n")
    assert read_stride_table(path).n_rows == 3
