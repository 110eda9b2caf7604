"""Which Office product an SPP row is, read from the spellings real SPP reports.

Every string below is one public tools print for a real machine, or a variant of one the client
must tolerate; the sources are in tests/lab/kmslab/model/office_licenses.py.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.volact.kms.plugins.module_utils.client.office import (
    APPLICATIONS,
    OFFICE_2010_APP_ID,
    edition_words,
    office_gvlk,
    recognise,
)
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.licensing import gvlk
from ansible_collections.volact.kms.plugins.module_utils.licensing.channels import (
    ChannelKind,
    parse_channel,
)
from ansible_collections.volact.kms.plugins.module_utils.windows.spp import (
    OFFICE_APP_IDS,
    WINDOWS_APP_ID,
)

OFFICE = OFFICE_APP_IDS[0]

# (LicenseFamily, Name) as real SPP reports them -> the published GVLK the client installs.
REAL = [
    (
        "Office24ProPlus2024VL_KMS_Client_AE",
        "Office 24, Office24ProPlus2024VL_KMS_Client_AE edition",
        "Office LTSC 2024",
        "Office LTSC Professional Plus 2024",
    ),
    (
        "Office24VisioStd2024VL_KMS_Client_AE",
        "Office 24, Office24VisioStd2024VL_KMS_Client_AE edition",
        "Office LTSC 2024",
        "Visio LTSC Standard 2024",
    ),
    (
        "Office24ProPlus2024VL_MAK_AE1",
        "Office 24, Office24ProPlus2024VL_MAK_AE1 edition",
        "Office LTSC 2024",
        "Office LTSC Professional Plus 2024",
    ),
    (
        "Office24Standard2024VL_MAK_AE1",
        "Office 24, Office24Standard2024VL_MAK_AE1 edition",
        "Office LTSC 2024",
        "Office LTSC Standard 2024",
    ),
    (
        "Office21ProPlus2021VL_KMS_Client_AE",
        "Office 21, Office21ProPlus2021VL_KMS_Client_AE edition",
        "Office LTSC 2021",
        "Office LTSC Professional Plus 2021",
    ),
    (
        "Office21ProPlus2021VL_MAK_AE2",
        "Office 21, Office21ProPlus2021VL_MAK_AE2 edition",
        "Office LTSC 2021",
        "Office LTSC Professional Plus 2021",
    ),
    (
        "Office21ProjectStd2021VL_MAK_AE",
        "Office 21, Office21ProjectStd2021VL_MAK_AE edition",
        "Office LTSC 2021",
        "Project Standard 2021",
    ),
    (
        "Office19ProPlus2019VL_KMS_Client_AE",
        "Office 19, Office19ProPlus2019VL_KMS_Client_AE edition",
        "Office 2019",
        "Office Professional Plus 2019",
    ),
    (
        "Office19VisioStd2019VL_KMS_Client_AE",
        "Office 19, Office19VisioStd2019VL_KMS_Client_AE edition",
        "Office 2019",
        "Visio Standard 2019",
    ),
    (
        "Office19SkypeforBusiness2019VL_MAK_AE",
        "Office 19, Office19SkypeforBusiness2019VL_MAK_AE edition",
        "Office 2019",
        "Skype for Business 2019",
    ),
    (
        "Office16ProPlusVL_KMS_Client",
        "Office 16, Office16ProPlusVL_KMS_Client edition",
        "Office 2016",
        "Office Professional Plus 2016",
    ),
    (
        "Office16StandardVL_MAK",
        "Office 16, Office16StandardVL_MAK edition",
        "Office 2016",
        "Office Standard 2016",
    ),
    (
        "OfficeProPlusVL_KMS_Client",
        "Office 15, OfficeProPlusVL_KMS_Client edition",
        "Office 2013",
        "Office 2013 Professional Plus",
    ),
    (
        "OfficeVisioProVL_KMS_Client",
        "Office 15, OfficeVisioProVL_KMS_Client edition",
        "Office 2013",
        "Visio 2013 Professional",
    ),
    (
        "OfficeProPlus-KMS_Client",
        "Office 14, OfficeProPlus-KMS_Client edition",
        "Office 2010",
        "Office Professional Plus 2010",
    ),
]


@pytest.mark.parametrize(("family", "name", "gvlk_family", "edition"), REAL)
def test_real_spp_spellings_map_to_their_gvlk(family, name, gvlk_family, edition):
    entry = office_gvlk(family, name, application_id=OFFICE)
    assert (entry.family, entry.edition) == (gvlk_family, edition)


@pytest.mark.parametrize(("family", "name", "gvlk_family", "edition"), REAL)
def test_name_alone_is_enough_when_license_family_is_empty(family, name, gvlk_family, edition):
    assert office_gvlk(None, name).label == f"{gvlk_family} {edition}"
    assert office_gvlk("", name).label == f"{gvlk_family} {edition}"


# Variants of the real spellings a client must not trip over -> (family, edition) concluded.
@pytest.mark.parametrize(
    ("family", "name", "expected"),
    [
        # case
        ("OFFICE21PROPLUS2021VL_KMS_CLIENT_AE", "", ("Office LTSC 2021", "professional plus")),
        ("office16proplusvl_kms_client", "", ("Office 2016", "professional plus")),
        # _AE suffix present, absent or numbered
        ("Office19ProPlus2019VL_KMS_Client", "", ("Office 2019", "professional plus")),
        ("Office24ProPlus2024VL_MAK_AE3", "", ("Office LTSC 2024", "professional plus")),
        ("Office16ProPlusVL_KMS_Client_AE", "", ("Office 2016", "professional plus")),
        # "ProPlus2019" or "ProPlus": the version prefix decides
        ("Office19ProPlusVL_KMS_Client_AE", "", ("Office 2019", "professional plus")),
        ("Office21VisioPro2021VL_MAK_AE", "", ("Office LTSC 2021", "visio professional")),
        # no version prefix: the year, else Name's "Office NN"
        ("OfficeProPlus2021VL_KMS_Client_AE", "", ("Office LTSC 2021", "professional plus")),
        (
            "OfficeProPlusVL_MAK",
            "Office 15, OfficeProPlusVL_MAK edition",
            ("Office 2013", "professional plus"),
        ),
        # blanks around, an underscore after the version (Microsoft's key configuration writes it)
        ("  Office19_ProPlus2019VL_MAK_AE ", "", ("Office 2019", "professional plus")),
    ],
)
def test_known_variants_are_tolerated(family, name, expected):
    entry = office_gvlk(family, name)
    assert (entry.family, edition_words(entry.edition)) == expected


def test_office_2010_takes_its_version_from_the_application_id():
    entry = office_gvlk("OfficeVisioPrem-MAK", "", application_id=OFFICE_2010_APP_ID)
    assert entry.label == "Office 2010 Visio Premium 2010"
    with pytest.raises(KmsInputError, match="has no published GVLKs"):
        office_gvlk("OfficeVisioPrem-MAK", "")  # no version anywhere


@pytest.mark.parametrize(
    ("family", "name", "version"),
    [
        # Microsoft's slmgr /dlv sample for the Office 2016 host (OFF-KMS)
        ("OfficeKMSHostVL_KMS_Host", "Office 16, OfficeKMSHostVL_KMS_Host edition", "16"),
        # UNCONFIRMED forms: 2019-2024 by the 2024 license files' SKU name; both 2016 spellings
        ("Office16KMSHostVL_KMS_Host", "Office 16, Office16KMSHostVL_KMS_Host edition", "16"),
        ("Office19KMSHost2019VL_KMS_Host", "", "19"),
        ("Office21KMSHost2021VL_KMS_Host", "", "21"),
        (
            "Office24KMSHost2024VL_KMS_Host",
            "Office 24, Office24KMSHost2024VL_KMS_Host edition",
            "24",
        ),
        ("Office24_KMSHost2024VL_KMS_Host", "", "24"),
        ("KMSHost2024VL_KMS_Host", "Office 24, KMSHost2024VL_KMS_Host edition", None),
    ],
)
def test_office_kms_host_licenses_are_recognised_and_get_no_gvlk(family, name, version):
    found = recognise(family, name, OFFICE)
    if version is None:  # without "Office…" it is not a name SPP gives Office
        assert found is None
        return
    assert found is not None
    assert (found.is_kms_host, found.version, found.channel) == (True, version, "KMS_HOST")
    with pytest.raises(KmsInputError, match="Office KMS host license"):
        office_gvlk(family, name)


@pytest.mark.parametrize(
    ("family", "name", "application_id", "words"),
    [
        # the lab's former invention (Click-to-Run product IDs) is not an SPP license name
        ("ProPlus2021Volume", "", None, "is not an Office product this module recognises"),
        ("ProPlusVolume", "Office, ProPlusVolume edition", None, "is not an Office product"),
        ("O365ProPlusRetail", "", None, "is not an Office product this module recognises"),
        (None, "", None, "is not an Office product this module recognises"),
        # retail and subscription licenses are not volume licenses
        ("Office16ProPlusR_Retail", "", None, "is a retail Office license"),
        ("Office16ProPlusR_Grace", "Office 16, Office16ProPlusR_Grace edition", None, "retail"),
        ("Office21ProPlus2021R_Retail", "", None, "is a retail Office license"),
        # a version without published GVLKs, or none anywhere
        ("OfficeProPlusVL_MAK", "", None, "has no published GVLKs"),
        ("Office17ProPlusVL_KMS_Client", "", None, "has no published GVLKs"),
        # an application Microsoft publishes no GVLK for, and a preview
        ("Office21OneNote2021VL_KMS_Client_AE", "", None, "Office LTSC 2021 has no published"),
        ("Office16MondoVL_KMS_Client", "", None, "Office 2016 has no published GVLK"),
        ("Office24ProPlus2024PreviewVL_KMS_Client_AE", "", None, "has no published GVLK"),
        # a Windows row never names an Office product
        ("Office16ProPlusVL_KMS_Client", "", WINDOWS_APP_ID, "is not an Office product"),
    ],
)
def test_what_has_no_gvlk_is_refused_with_the_reason(family, name, application_id, words):
    with pytest.raises(KmsInputError) as caught:
        office_gvlk(family, name, application_id=application_id)
    assert words in str(caught.value)


def test_every_office_edition_in_the_catalog_is_reachable():
    reachable = set(APPLICATIONS.values())
    missing = [e.label for e in gvlk.office_products() if edition_words(e.edition) not in reachable]
    assert missing == []


@pytest.mark.parametrize(
    ("pkc", "description", "kind"),
    [
        # Office MAK rows describe themselves as RETAIL(MAK): a MAK, not retail
        (None, "Office 16, RETAIL(MAK) channel", ChannelKind.MAK),
        (None, "Office 24, RETAIL(MAK) channel", ChannelKind.MAK),
        (None, "Office 16, RETAIL(Grace) channel", ChannelKind.RETAIL),
        (None, "Office 21, VOLUME_KMSCLIENT channel", ChannelKind.GVLK),
        (None, "Office 16, VOLUME_KMS channel", ChannelKind.CSVLK),
        ("Volume:MAK", "Office 21, RETAIL(MAK) channel", ChannelKind.MAK),
    ],
)
def test_office_description_channels(pkc, description, kind):
    assert parse_channel(pkc, description).kind is kind


@given(st.text(max_size=60), st.text(max_size=60), st.sampled_from([None, OFFICE, WINDOWS_APP_ID]))
def test_recognise_never_raises(family, name, application_id):
    recognise(family, name, application_id)
