"""Masking of addresses, spreadsheet-safe cells, and secrets kept out of logs."""

import io
import logging

import pandas as pd
import pytest

from seatlib.core import log as seatlog
from seatlib.core.privacy import formula_safe, mask_email, mask_frame, mask_text, mask_value


@pytest.mark.parametrize("address, want", [
    ("jane.doe@acme.com", "j***@acme.com"), ("J@x.com.br", "J***@x.com.br"),
    ("not an address", "***"), ("", ""), ("@acme.com", "***"),
])
def test_mask_email(address, want):
    assert mask_email(address) == want


def test_mask_text_masks_every_address_in_free_text():
    assert mask_text("admins: a.b@x.com; c@y.org.") == "admins: a***@x.com; c***@y.org."
    assert mask_text("josé.silva@empresa.com.br, ção@açaí.com.br") == (
        "j***@empresa.com.br, ç***@açaí.com.br")  # names are not all ASCII


def test_mask_frame_masks_text_columns_unless_shown():
    df = pd.DataFrame({"admin_email": pd.array(["ana@x.com", None], dtype="string"),
                       "n": [1, 2], "names": ["bob@y.com; eve@z.com", "ok"]})
    masked = mask_frame(df, show=False)
    assert masked["admin_email"].tolist()[0] == "a***@x.com" and pd.isna(masked["admin_email"][1])
    assert masked["names"][0] == "b***@y.com; e***@z.com" and masked["n"].tolist() == [1, 2]
    assert mask_frame(df, show=True) is df
    assert mask_value({"s": ["x@y.com"]}, show=False) == {"s": ["x***@y.com"]}


def test_formula_safe_neutralises_every_formula_start():
    df = pd.DataFrame({"w": ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "ok", None]})
    out = formula_safe(df)["w"].tolist()
    assert out[:6] == ["'=HYPERLINK(\"x\")", "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx"]
    assert out[6] == "ok" and pd.isna(out[7])


def test_logs_mask_addresses_and_hide_notify_urls(monkeypatch):
    monkeypatch.setenv("SEATLIB_NOTIFY_URLS", "slack://TOKENAAA/TOKENBBB/TOKENCCC, json://u:pw-123456@h/x")
    out = io.StringIO()
    seatlog.setup(stream=out)
    logging.getLogger("seatlib.test").warning("to ana@x.com via slack://TOKENAAA/TOKENBBB/TOKENCCC "
                                              "and pw-123456")
    text = out.getvalue()
    assert "a***@x.com" in text and "ana@" not in text
    assert "TOKENBBB" not in text and "pw-123456" not in text
    out2 = io.StringIO()
    seatlog.setup(stream=out2, show_emails=True)
    logging.getLogger("seatlib.test").warning("to ana@x.com")
    assert "ana@x.com" in out2.getvalue()
    seatlog.setup()
