"""The names SPP gives Office license rows: Name, Description and LicenseFamily, each sourced.

Office 2013 and later keep their licenses in the Windows SPP store; every SKU is its own
SoftwareLicensingProduct row, so a KMS client (GVLK) row and a MAK row of one suite have different
names. The shapes, as ospp.vbs prints them (LICENSE NAME is ``Name``, LICENSE DESCRIPTION is
``Description``) and as public scripts query ``LicenseFamily``:

* ``Name`` is "Office NN, <LicenseFamily> edition" and ``Description`` "Office NN, <tag> channel",
  NN being the version SPP shows: 15 (2013), 16 (2016), 19, 21, 24. Neither is localized: ospp.vbs
  run on Chinese Windows prints the same English strings (YerongAI/Office-Tool#282).
* ``LicenseFamily`` is "Office<NN><SKU>VL_<channel>", with no NN for Office 2013
  (``OfficeProPlusVL_KMS_Client``); from Office 2019 on the SKU carries the year and the license an
  ``_AE`` suffix, numbered on some MAK licenses (``Office21ProPlus2021VL_MAK_AE1``).

Sources (GitHub repository + path, or issue thread):

* [AIO] abbodi1406/KMS_VL_ALL_AIO ``KMS_VL_ALL_AIO.cmd`` @8198a3f4542b (v52): WMI queries of
  ``LicenseFamily`` with ``ApplicationID='0ff1ce15-…'``; ``LicenseFamily='Office%~1'`` equality
  tests for ``24ProPlus2024VL_MAK_AE1``/``_AE2``/``_AE3``, ``21ProPlus2021VL_MAK_AE1``/``_AE2``,
  ``19ProPlus2019VL_MAK_AE``; matches of ``Office16ProPlusVL_KMS_Client``,
  ``Office16ProPlusVL_MAK``, ``OfficeProPlusVL_KMS_Client``, ``Office19…VL_KMS_Client``,
  ``Office21…``, ``Office24…`` against the LicenseFamily list; ``find "Office NN"`` against Name;
  "RETAIL(MAK) channel" in Description.
* [py-kms#126] Py-KMS-Organization/py-kms issue 126 (ospp.vbs /act, Office LTSC 2024): "Office 24,
  Office24ProPlus2024VL_KMS_Client_AE edition", "Office 24, VOLUME_KMSCLIENT channel".
* [popeye] DS-Popeye/Microsoft-Office-2021-Activation-Command ``README.md`` @86e5e4c4655577
  (ospp.vbs /act): "Office 21, Office21ProPlus2021VL_KMS_Client_AE edition", "Office 21,
  VOLUME_KMSCLIENT channel"; the same strings in YerongAI/Office-Tool issue 282.
* [vlmcsd#20] Wind4/vlmcsd issue 20 (ospp.vbs /dstatus): "Office 19, Office19ProPlus2019VL_KMS_
  Client_AE edition", "Office 19, VOLUME_KMSCLIENT channel"; MicrosoftDocs/OfficeDocs-DeployOffice
  issue 230: "Office 19, Office19VisioStd2019VL_KMS_Client_AE edition".
* [ospp16] public ospp.vbs /act transcripts (code search, no repository named): "Office 16,
  Office16ProPlusVL_KMS_Client edition" / "Office 16, VOLUME_KMSCLIENT channel" (SKU ID
  d450596f-894d-49e0-966a-fd39ed4c4c64), "Office 15, OfficeProPlusVL_KMS_Client edition";
  "Office 16, Office16StandardVL_MAK edition" / "Office 16, RETAIL(MAK) channel"; "Office 24,
  Office24Standard2024VL_MAK_AE1 edition" / "Office 24, RETAIL(MAK) channel".
* [OFF-KMS] MicrosoftDocs/OfficeDocs-DeployOffice
  ``office/volume-license-activation/configure-a-kms-host-computer-for-office.md``
  @37fdd796488f, slmgr /dlv of an Office 2016 KMS host: "Name: Office 16, OfficeKMSHostVL_KMS_Host
  edition", "Description: Office 16, VOLUME_KMS channel".
* [kmsrsos] schlarpc/kmsrsos research notes and its pkeyconfig reader: the Office LTSC 2024 Volume
  License Pack ships ``kmshost2024vl_kms_host-*.xrm-ms`` and a pkeyconfig with ProductDescription
  "Office24_KMSHost2024VL_KMS_Host" (clients: "Office19_ProPlus2019VL_MAK_AE" there is
  "Office19ProPlus2019VL_MAK_AE" in SPP).
* [dandylife] a public blog post of an Office 2010 ``ospp.vbs /act`` on Windows 7 (kevinkoo001,
  dandylife.net/blog/archives/61, 2012): "LICENSE NAME: Office 14, OfficeProPlus-KMS_Client
  edition", "LICENSE DESCRIPTION: Office 14, VOLUME_KMSCLIENT channel", and the OSPP event
  "Application Id=59a52881-a989-479d-af46-f275c6370663".
* [AIO-14] the KMS_VL_ALL family of public activation scripts: ``Name like '%OfficeProPlus-MAK%'``
  for the Office 2010 ProPlus MAK row (several copies, code search).

Office 2010 (Office 14) and Office 2013 on Windows 7 keep these rows in OSPP
(``OfficeSoftwareProtectionProduct``, ospp.py); Office 2010's names use "-" before the channel
(``OfficeProPlus-KMS_Client``), as the client's reader expects.

UNCONFIRMED rows are marked: the lab serves the best-sourced form and the client accepts the other
plausible ones (plugins/module_utils/client/office.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from kmslab.model.keys import KeyKind


@dataclass(frozen=True)
class OfficeLicenseNames:
    """The fixed text of one Office SoftwareLicensingProduct row."""

    version: str  # the NN of "Office NN, ..."
    license_family: str
    channel_tag: str  # Description "<tag> channel"
    source: str  # where the spelling comes from; starts with "UNCONFIRMED" where nothing says it

    @property
    def name(self) -> str:
        return f"Office {self.version}, {self.license_family} edition"

    @property
    def description(self) -> str:
        return f"Office {self.version}, {self.channel_tag} channel"


_RETAIL_MAK = "RETAIL(MAK)"  # [ospp16] for Office 16 and 24; [AIO] matches it in Descriptions

# (OFFICE_SUITES handle, key kind) -> the row that key kind goes into.
CLIENT_LICENSES: dict[tuple[str, KeyKind], OfficeLicenseNames] = {
    ("office2024-proplus", KeyKind.GVLK): OfficeLicenseNames(
        "24", "Office24ProPlus2024VL_KMS_Client_AE", "VOLUME_KMSCLIENT", "py-kms#126; AIO"
    ),
    ("office2024-proplus", KeyKind.MAK): OfficeLicenseNames(
        "24", "Office24ProPlus2024VL_MAK_AE1", _RETAIL_MAK, "AIO (also _AE2, _AE3); ospp16"
    ),
    ("office2021-proplus", KeyKind.GVLK): OfficeLicenseNames(
        "21", "Office21ProPlus2021VL_KMS_Client_AE", "VOLUME_KMSCLIENT", "popeye; AIO"
    ),
    ("office2021-proplus", KeyKind.MAK): OfficeLicenseNames(
        "21",
        "Office21ProPlus2021VL_MAK_AE1",
        _RETAIL_MAK,
        "AIO (also _AE2); Description UNCONFIRMED for 21, as for 16 and 24 in ospp16",
    ),
    ("office2019-proplus", KeyKind.GVLK): OfficeLicenseNames(
        "19", "Office19ProPlus2019VL_KMS_Client_AE", "VOLUME_KMSCLIENT", "vlmcsd#20; AIO"
    ),
    ("office2019-proplus", KeyKind.MAK): OfficeLicenseNames(
        "19",
        "Office19ProPlus2019VL_MAK_AE",
        _RETAIL_MAK,
        "AIO; Description UNCONFIRMED for 19, as for 16 and 24 in ospp16",
    ),
    ("office2016-proplus", KeyKind.GVLK): OfficeLicenseNames(
        "16", "Office16ProPlusVL_KMS_Client", "VOLUME_KMSCLIENT", "ospp16; AIO"
    ),
    ("office2016-proplus", KeyKind.MAK): OfficeLicenseNames(
        "16", "Office16ProPlusVL_MAK", _RETAIL_MAK, "AIO; ospp16 (Office16StandardVL_MAK)"
    ),
    ("office2013-proplus", KeyKind.GVLK): OfficeLicenseNames(
        "15", "OfficeProPlusVL_KMS_Client", "VOLUME_KMSCLIENT", "ospp16; AIO"
    ),
    ("office2013-proplus", KeyKind.MAK): OfficeLicenseNames(
        "15",
        "OfficeProPlusVL_MAK",
        _RETAIL_MAK,
        "UNCONFIRMED: by analogy with Office16ProPlusVL_MAK (AIO) and its Description (ospp16)",
    ),
    ("office2010-proplus", KeyKind.GVLK): OfficeLicenseNames(
        "14", "OfficeProPlus-KMS_Client", "VOLUME_KMSCLIENT", "dandylife (Name, Description)"
    ),
    ("office2010-proplus", KeyKind.MAK): OfficeLicenseNames(
        "14",
        "OfficeProPlus-MAK",
        _RETAIL_MAK,
        "AIO-14 (Name); Description UNCONFIRMED for 14, as for 16 and 24 in ospp16",
    ),
    ("office2010-standard", KeyKind.GVLK): OfficeLicenseNames(
        "14",
        "OfficeStandard-KMS_Client",
        "VOLUME_KMSCLIENT",
        "UNCONFIRMED: the ProPlus row's shape (dandylife) with Standard",
    ),
    ("office2010-standard", KeyKind.MAK): OfficeLicenseNames(
        "14",
        "OfficeStandard-MAK",
        _RETAIL_MAK,
        "UNCONFIRMED: the ProPlus row's shape (AIO-14) with Standard",
    ),
}

# HOST_KEY_GROUPS handle -> the Office KMS host row the CSVLK goes into. LicenseFamily is taken
# to be the middle of Name as on every client row (AIO, ospp16); only the 2016 Name is printed in a
# Microsoft document. 2019-2024 follow the 2024 license files' SKU name (kmsrsos) with the
# "OfficeNN" prefix of the client rows: UNCONFIRMED.
HOST_LICENSES: dict[str, OfficeLicenseNames] = {
    "office2010": OfficeLicenseNames(
        "14",
        "OfficeKMSHost-KMS_Host",
        "VOLUME_KMS",
        "UNCONFIRMED: Office 2010's client spelling (dandylife) with the KMSHost SKU of OFF-KMS",
    ),
    "office2013": OfficeLicenseNames(
        "15",
        "OfficeKMSHostVL_KMS_Host",
        "VOLUME_KMS",
        "UNCONFIRMED: Office 2016's host name (OFF-KMS) with version 15",
    ),
    "office2024": OfficeLicenseNames(
        "24",
        "Office24KMSHost2024VL_KMS_Host",
        "VOLUME_KMS",
        "UNCONFIRMED: kmsrsos (Office24_KMSHost2024VL_KMS_Host); tag as OFF-KMS for 2016",
    ),
    "office2021": OfficeLicenseNames(
        "21",
        "Office21KMSHost2021VL_KMS_Host",
        "VOLUME_KMS",
        "UNCONFIRMED: by analogy with kmsrsos's 2024 name; tag as OFF-KMS for 2016",
    ),
    "office2019": OfficeLicenseNames(
        "19",
        "Office19KMSHost2019VL_KMS_Host",
        "VOLUME_KMS",
        "UNCONFIRMED: by analogy with kmsrsos's 2024 name; tag as OFF-KMS for 2016",
    ),
    "office2016": OfficeLicenseNames(
        "16",
        "OfficeKMSHostVL_KMS_Host",
        "VOLUME_KMS",
        "OFF-KMS (Name and Description); LicenseFamily as the middle of Name, per AIO",
    ),
}

# HOST_KEY_GROUPS handle -> the activation ID of the Office KMS host SKU (``slmgr /ato <ActID>``,
# the SoftwareLicensingProduct ID of the host row): kms-facts §2.8 and older-windows-office-adba
# §3 (OFF-KMS for 2016-2024; 2013 and 2010 UNCONFIRMED, consistent across public scripts).
HOST_ACTIVATION_IDS: dict[str, str] = {
    "office2024": "f3d89bbf-c0ec-47ce-a8fa-e5a5f97e447f",
    "office2021": "47f3b983-7c53-4d45-abc6-bcd91e2dd90a",
    "office2019": "70512334-47b4-44db-a233-be5ea33b914c",
    "office2016": "98ebfe73-2084-4c97-932c-c0cd1643bea7",
    "office2013": "2e28138a-847f-42bc-9752-61b03fff33cd",
    "office2010": "bfe7a195-4f8f-4f0b-a622-cf13c7d16864",
}
