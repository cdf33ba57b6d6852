"""The pain.002 parser on its own: which status applies to a transaction (its own, else its batch's, else the
group's), reason codes and texts, any version of the message, and malformed files refused naming the line."""

from __future__ import annotations

import pytest

from app.core.errors import ValidationFailed
from app.disbursements import pain002


@pytest.fixture
def clean_database():
    """Pure parsing: no database to empty (overrides the suite's autouse fixture)."""
    yield


REPORT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.{version}">
 <CstmrPmtStsRpt>
  <GrpHdr><MsgId>STS-9</MsgId><CreDtTm>2026-12-02T10:00:00</CreDtTm></GrpHdr>
  <OrgnlGrpInfAndSts><OrgnlMsgId>prn_x-001</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>
   <GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>
  <OrgnlPmtInfAndSts><OrgnlPmtInfId>prn_x-001-1</OrgnlPmtInfId><PmtInfSts>ACCP</PmtInfSts>
   <TxInfAndSts><OrgnlEndToEndId>pin_a</OrgnlEndToEndId><TxSts>ACSC</TxSts></TxInfAndSts>
   <TxInfAndSts><OrgnlEndToEndId>pin_b</OrgnlEndToEndId><TxSts>RJCT</TxSts>
    <StsRsnInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>Account</AddtlInf><AddtlInf>closed</AddtlInf></StsRsnInf>
   </TxInfAndSts>
   <TxInfAndSts><OrgnlEndToEndId>pin_c</OrgnlEndToEndId></TxInfAndSts>
  </OrgnlPmtInfAndSts>
  <OrgnlPmtInfAndSts><OrgnlPmtInfId>prn_x-001-2</OrgnlPmtInfId>
   <StsRsnInf><Rsn><Prtry>BANK-7</Prtry></Rsn></StsRsnInf>
   <TxInfAndSts><OrgnlEndToEndId>pin_d</OrgnlEndToEndId></TxInfAndSts>
  </OrgnlPmtInfAndSts>
 </CstmrPmtStsRpt>
</Document>
"""


@pytest.mark.parametrize("version", ["03", "10", "12"])
def test_a_transaction_takes_its_own_status_else_its_batch_else_the_group(version):
    report = pain002.parse(REPORT.format(version=version).encode())
    assert (report.message_id, report.original_message_id, report.group_status) == (
        "STS-9",
        "prn_x-001",
        "PART",
    )
    by_id = {t.end_to_end_id: t for t in report.transactions}
    assert [t.batch_id for t in report.transactions] == ["prn_x-001-1"] * 3 + ["prn_x-001-2"]
    assert pain002.outcome(report, "prn_x-001-1", by_id["pin_a"]) == ("ACSC", ("", ""))
    assert pain002.outcome(report, "prn_x-001-1", by_id["pin_b"]) == ("RJCT", ("AC04", "Account closed"))
    assert pain002.outcome(report, "prn_x-001-1", by_id["pin_c"])[0] == "ACCP"  # the batch's
    assert pain002.outcome(report, "prn_x-001-2", by_id["pin_d"])[0] == "PART"  # no batch status: the group's
    assert report.batches[1].reason == ("BANK-7", "")
    assert by_id["pin_b"].line == 9


def test_a_report_without_a_namespace_is_read_by_local_names():
    plain = REPORT.format(version="10").replace(' xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"', "")
    assert len(pain002.parse(plain.encode()).transactions) == 4


@pytest.mark.parametrize(
    ("data", "code", "where"),
    [
        (b"<Document><CstmrPmtStsRpt>\n<GrpHdr>", "invalid_xml", "line 2"),
        (b'<?xml version="1.0"?><Document><CstmrCdtTrfInitn/></Document>', "not_a_status_report", ""),
        (REPORT.format(version="10").replace("<OrgnlMsgId>prn_x-001</OrgnlMsgId>", "").encode(),
         "invalid_status_report", "line 3"),
        (REPORT.format(version="10").replace("<OrgnlEndToEndId>pin_c</OrgnlEndToEndId>", "").encode(),
         "invalid_status_report", "line 12"),
        (REPORT.format(version="10").replace("<TxSts>ACSC</TxSts>", "<TxSts>OKAY</TxSts>").encode(),
         "unknown_status", "line 8"),
        (b'<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><Document><CstmrPmtStsRpt>&e;'
         b"</CstmrPmtStsRpt></Document>", "invalid_status_report", ""),
    ],
)  # fmt: skip
def test_malformed_reports_are_refused_naming_what_and_where(data, code, where):
    with pytest.raises(ValidationFailed) as refused:
        pain002.parse(data)
    assert refused.value.code == code
    assert where in refused.value.message
