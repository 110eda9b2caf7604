#!/usr/bin/python
# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn MAK, retail and OEM Windows (and volume Office) into KMS clients; pin or discover hosts."""

# E402 is wrong for Ansible modules: validate-modules demands DOCUMENTATION, EXAMPLES and RETURN
# before any import (import-before-documentation).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kms_client_setup_key
short_description: Make Windows and Office KMS clients with the right GVLK, and activate them
version_added: 0.1.0
description:
  - Installs the KMS client setup key (GVLK) that Microsoft publishes for the machine's edition,
    so that a Windows machine that came with a MAK, retail or OEM key becomes a KMS client, and
    optionally volume-licensed Office products too (O(product)).
  - The GVLK is chosen from non-localized facts only, the same on every Windows language
    (C(SoftwareLicensingProduct.LicenseFamily) of the primary Windows product and the build in
    C(SoftwareLicensingService.Version); C(Win32_OperatingSystem) is read only when those are
    missing). Or give it with O(key).
  - A product already on the right GVLK is left alone. The comparison is the channel
    (C(Volume:GVLK)), the partial key of the expected GVLK and the edition it was chosen for, not
    the last five characters alone.
  - Refused before anything is written, with what to do instead, evaluation editions (convert with
    DISM first), Home editions (upgrade first), Windows Server Datacenter Azure Edition
    (activated by Azure), and KMS hosts (a host key is never replaced; retire the host with
    M(volact.kms.kms_host_key) O(volact.kms.kms_host_key#module:state=absent) first).
  - Sets the client's KMS host (O(kms_host), O(kms_port)) or clears it so the client finds hosts
    in DNS again (O(discovery)), the DNS domain searched for hosts (O(lookup_domain)) and host
    caching (O(host_caching)), comparing with the values C(SoftwareLicensingService) reports.
  - Activates products that are not licensed yet (O(activate)). A KMS host whose count is still
    below its threshold (0xC004F038, the normal state of a KMS rollout) is handled by
    O(below_threshold); any other failure fails the task with the HRESULT, its meaning and the fix.
  - Talks WS-Management to the host's WMI provider directly from the controller over the task's
    own C(winrm) or C(psrp) connection; no PowerShell, no C(slmgr.vbs), nothing copied to the host.
  - Works on Windows Vista / Server 2008 and later. Only what the machine's version has is sent
    (C(SoftwareLicensingService) is read with C(SELECT *), its C(Version) picks the product
    properties); an option the version cannot honour fails before anything is written, naming
    the option, the version and the first version that has it (the repository's
    C(docs/windows-versions.md)).
  - 'Cost: a converged machine takes 2 WS-Management requests (one WQL query of
    C(SoftwareLicensingService), one of the keyed C(SoftwareLicensingProduct) rows; WQL reads one
    class per query), 3 when the edition must be read from C(Win32_OperatingSystem).
    Converting, pinning a host and activating takes 8 (the two reads, C(InstallProductKey),
    C(RefreshLicenseStatus), C(SetKeyManagementServiceMachine), a read to find the new KMS client
    row, C(Activate), a read of the outcome). The result reports the count under
    RV(wsman.requests). In check mode, a product that would be activated through DNS discovery
    with no lookup domain costs one request more (C(Win32_ComputerSystem), for the machine''s
    domain), and the controller sends one DNS query. On Windows 7 / Server 2008 R2 a task that
    manages the KMS host (O(kms_host), O(discovery)) costs one request more: the pinned port is
    read from the registry value C(KeyManagementServicePort), since that version''s class has no
    property for it. Office in OSPP costs the same two reads of its own classes (one query of
    C(OfficeSoftwareProtectionService), one of the keyed C(OfficeSoftwareProtectionProduct)
    rows); on Windows 7 / Server 2008 R2, where Office is only in OSPP, the Office part of the
    C(SoftwareLicensingProduct) query is left out (O(product=office) reads the service and OSPP:
    3 requests). On Windows 8 and later, OSPP (Office 2010 there) is read only when no keyed Office
    product is in the Windows store: one request more, which finds no class where OSPP is not
    installed.'
author:
  - volact.kms contributors (@volact)
extends_documentation_fragment:
  - volact.kms.windows  # first: the shared attributes' values win over the generic ones
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - ansible.builtin.action_common_attributes.flow
attributes:
  check_mode:
    support: full
    details: Reads only; reports what would change. An activation that would be attempted shows as
      RV(activation.state=would_activate) and is not counted as a change, since only the KMS host
      can tell whether it would succeed. When the client would find its KMS host through DNS (no
      host pinned), the controller looks up the C(_vlmcs._tcp) SRV records of the client's lookup
      domain, else of its domain (C(Win32_ComputerSystem.Domain)), at O(dns_server) or the
      controller's resolver; with none, the task warns and reports
      RV(activation.state=would_fail_no_srv) instead (the real run would fail with 0x8007232B).
  diff_mode:
    support: full
    details: Shows each managed product's channel and masked key, and the managed client settings,
      before and after.
options:
  product:
    description:
      - Which products to convert. V(office) and V(all) cover volume Office wherever it keeps its
        licenses, as Microsoft's C(ospp.vbs) tells them apart (the repository's
        C(docs/office.md)), in the Windows Software Protection Platform
        (C(SoftwareLicensingProduct), for Office 2013 and later on Windows 8 / Server 2012 and
        later), or the Office Software Protection Platform
        (OSPP, C(OfficeSoftwareProtectionService) / C(OfficeSoftwareProtectionProduct)), for
        Office 2010 on every Windows and Office 2013 and 2016 on Windows 7 / Server 2008 R2.
      - The Office GVLK is chosen by the product's license family, for example
        C(ProPlus2021Volume) or C(Office16ProPlusVL_MAK) (see the notes); OSPP rows have no
        license family, so their C(Name) (C(Office 14, OfficeProPlus-MAK edition)) is read.
      - For OSPP products, O(kms_host) and O(kms_port) (or O(discovery)) are set on each Office
        product, as C(ospp.vbs /sethst), C(/setprt) and C(/remhst) do, after its GVLK is in;
        O(host_caching) is OSPP's own (C(ospp.vbs /cachst)); O(lookup_domain) is refused (OSPP
        has none). With O(product=office) and only OSPP products, the Windows client settings
        (C(SoftwareLicensingService)) are left alone.
    type: str
    choices: [windows, office, all]
    default: windows
  key:
    description:
      - The GVLK to install instead of the one chosen from the machine's edition.
      - Must be one of the GVLKs Microsoft publishes, unless O(allow_unpublished_key=true).
      - Not with O(product=all). With O(product=office) it is installed for the one Office product
        it belongs to.
      - Never shown in output unless it is a published GVLK (those are public).
    type: str
  allow_unpublished_key:
    description:
      - Accept a O(key) that is not in Microsoft's GVLK tables (a newer GVLK). After installing,
        the product must report the C(Volume:GVLK) channel, or the task fails.
    type: bool
    default: false
  kms_host:
    description:
      - Pin the KMS host this client uses (C(SetKeyManagementServiceMachine), like
        C(slmgr /skms)). A DNS name, a short name, an IPv4 address or an IPv6 address (with or
        without brackets; it is passed in brackets, as C(slmgr.vbs) does).
      - A pinned host turns DNS discovery off. To clear it, use O(discovery=true).
      - When not given, the pinned host is left as it is.
    type: str
  kms_port:
    description:
      - TCP port of O(kms_host). Requires O(kms_host).
      - When O(kms_host) is given without it, a pinned port is cleared and clients use 1688, as
        C(slmgr /skms name) does.
      - Windows 7 / Server 2008 R2 and later; refused on Windows Vista / Server 2008, which have
        no C(SetKeyManagementServicePort).
    type: int
  discovery:
    description:
      - Clear a pinned KMS host and port so the client finds KMS hosts through C(_vlmcs._tcp) SRV
        records again (C(slmgr /ckms)). Cannot be combined with O(kms_host).
    type: bool
    default: false
  lookup_domain:
    description:
      - The DNS domain whose C(_vlmcs._tcp) SRV records the client searches
        (C(slmgr /skms-domain)); the empty string clears it (C(slmgr /ckms-domain)).
      - Has no effect while a KMS host is pinned.
      - The WMI method names (C(SetKeyManagementServiceLookupDomain),
        C(ClearKeyManagementServiceLookupDomain)) are not confirmed by a Microsoft document.
      - Windows 8 / Server 2012 and later; a domain is refused on older versions, and clearing
        it there changes nothing (they have none).
    type: str
  host_caching:
    description:
      - Whether the client keeps using the KMS host that answered last (C(slmgr /skhc),
        C(slmgr /ckhc)). Microsoft recommends turning it off when SRV priorities and weights
        should be honoured.
      - When not given, left as it is.
      - Windows 7 / Server 2008 R2 and later; refused on Windows Vista / Server 2008.
    type: bool
  activation_type:
    description:
      - Which activation the Windows product accepts (C(slmgr /act-type) with its activation ID),
        set on the product that holds the KMS client key before it is activated.
      - V(ad) only Active Directory-Based Activation (the repository's C(docs/adba.md)), V(kms)
        only a KMS host, V(token) only token-based activation, V(all) any of them (Windows'
        default; the setting is cleared).
      - When not given, left as it is. With it, the results say which activation the product
        used last (RV(kms_client.activated_by)) and, after an Active Directory-Based
        Activation, the activation object Windows names (RV(kms_client.activation_object),
        RV(kms_client.activation_object_dn), RV(kms_client.activation_object_sku_id),
        RV(kms_client.activation_object_extended_pid)).
      - A machine-wide activation type (C(slmgr /act-type) without an activation ID) may override
        the product's, or show in its setting; which one wins no source says. So when the
        product's setting is not the wanted one, the machine-wide type is cleared too, and the
        product keeps the only setting. A machine-wide type that the product's setting does not
        show cannot be seen, and is left as it is.
      - For a whole fleet, M(volact.kms.kms_activation_info) reports the activation type of each
        product and how it was activated, and the fleet report of C(playbooks/audit.yml) counts
        the machines activated by Active Directory and by a KMS host.
      - Windows 8 / Server 2012 and later; on older Windows only V(all) is accepted (there is
        nothing to set).
    type: str
    choices: [all, ad, kms, token]
  activate:
    description:
      - Activate each managed product that is not licensed yet. A licensed product is never
        activated again.
    type: bool
    default: true
  below_threshold:
    description:
      - What 0xC004F038 (the KMS host has not yet counted enough machines; 25 for client OS, 5 for
        servers and Office) does to the task.
      - V(fail) fails it, V(warn) succeeds with a warning, V(ignore) succeeds silently. The outcome
        is in RV(activation) either way; clients retry by themselves every 2 hours by default.
    type: str
    choices: [fail, warn, ignore]
    default: warn
  dns_server:
    description:
      - Check mode only. The DNS server (address or name) asked for the C(_vlmcs._tcp) SRV
        records when the client would find its KMS host through DNS. The clients' own DNS server
        is the best judge. When not given, the controller's resolver (C(/etc/resolv.conf)) is
        asked.
      - No record there gives RV(activation.state=would_fail_no_srv) and a warning, not a
        failure (a play earlier in the same run may publish them). When DNS does not answer, the
        task warns and keeps RV(activation.state=would_activate).
      - The client's DNS suffix search list is not read, so records it would find only through
        that list are not seen.
    type: str
  dns_port:
    description:
      - Port of O(dns_server); 53 when not given. Requires O(dns_server).
    type: int
notes:
  - Supports C(ansible_connection=winrm) and C(psrp) only; see C(docs/transport.md).
  - 'Office license families are mapped to Microsoft''s Office GVLK table by the application
    (C(ProPlus) = Professional Plus, C(Standard), C(ProjectPro), C(ProjectStd), C(VisioPro),
    C(VisioStd), C(Access), C(Excel), C(Outlook), C(PowerPoint), C(Publisher), C(Word),
    C(OneNote), C(SkypeForBusiness)...) and the version (a year in the name, or C(Office NN):
    14 = 2010, 15 = 2013, 16 = 2016, 19 = 2019, 21 = LTSC 2021, 24 = LTSC 2024; a Click-to-Run
    C(...Volume) ID without a year = 2016). Retail and Microsoft 365 Apps are refused.'
  - A KMS client cannot see its KMS host's current count over WMI (it is logged in event 12289).
    RV(activation.current_count) and RV(activation.missing) are therefore null; the threshold is
    in RV(activation.required_count).
  - Installing a key is followed by C(RefreshLicenseStatus), as C(slmgr /ipk) does; an Office key
    installed through OSPP is not, as C(ospp.vbs /inpkey) does not.
  - On Windows 8 and later, Office 2010 installed beside a keyed Office 2013 or later is not looked
    for (OSPP is read only when the Windows store holds no keyed Office product).
seealso:
  - name: KMS client activation and product keys
    description: Microsoft's table of GVLKs.
    link: https://learn.microsoft.com/windows-server/get-started/kms-client-activation-keys
  - module: volact.kms.kms_srv_record
"""

EXAMPLES = r"""
- name: Convert to a KMS client, find KMS hosts in DNS, activate (warn while below threshold)
  volact.kms.kms_client_setup_key:

- name: Pin a KMS host and port, and fail if the host has not reached its threshold
  volact.kms.kms_client_setup_key:
    kms_host: kms1.corp.contoso.com
    kms_port: 1688
    below_threshold: fail

- name: Windows and Office, an IPv6 KMS host, host caching off
  volact.kms.kms_client_setup_key:
    product: all
    kms_host: "2001:db8::10"
    host_caching: false

- name: Preview a rollout; warn where the clients' domain has no _vlmcs._tcp records
  volact.kms.kms_client_setup_key:
    dns_server: 192.0.2.53
  check_mode: true

- name: Back to DNS discovery in a disjoint namespace, no activation now
  volact.kms.kms_client_setup_key:
    discovery: true
    lookup_domain: kms.contoso.com
    activate: false

- name: A GVLK newer than the collection's table
  volact.kms.kms_client_setup_key:
    key: "{{ vault_new_gvlk }}"
    allow_unpublished_key: true
"""

RETURN = r"""
kms_client:
  description: The client after the run (in check mode, settings as they would be, products as
    read).
  returned: when the machine was read and nothing was refused (also when a write or an
    activation failed)
  type: dict
  contains:
    product:
      description: The primary Windows product (null with O(product=office)).
      type: dict
      sample:
        id: 2d5a5a60-3040-48bf-beb0-fcd770c20ce0
        name: Windows(R), Professional edition
        license_family: Professional
        channel: Volume:GVLK
        partial_product_key: T83GX
        license_status: 1
        license_status_name: Licensed
        grace_minutes: 259200
    gvlk:
      description: The GVLK chosen for the Windows product. C(key) is shown in full only for a
        published GVLK (they are public), otherwise masked.
      type: dict
      sample: {family: Windows 11/10 (GA channel), edition: Pro,
               key: W269N-WFGWX-YVC9B-4J6C9-T83GX, published: true, confirmed: true}
    converted:
      description: Whether the Windows GVLK was installed in this run (would be, in check mode).
      type: bool
    reason:
      description: Why the Windows product was or was not converted.
      type: str
      sample: a MAK key is installed (Volume:MAK); installing the GVLK converts it.
    office:
      description:
        - Each managed Office product with RV(kms_client.product)-like C(product), C(gvlk),
          C(converted), C(reason) and its own C(activation).
        - C(product.license_service) says where Office keeps the license, V(spp) or V(ospp);
          C(product.kms_host) and C(product.kms_port) are the host pinned on that product.
      type: list
      elements: dict
    ospp:
      description:
        - The Office Software Protection Platform's service (C(version), C(client_machine_id),
          C(host_caching)) when it was read; null otherwise.
      type: dict
      sample: {version: 14.0.7015.1000, client_machine_id: 37a70251-3650-58b7-ac02-9a1898cd9bef,
               host_caching: true}
    kms_host:
      description: The pinned KMS host; null when the client finds hosts in DNS.
      type: str
      sample: kms1.corp.contoso.com
    kms_port:
      description: The pinned port; null when not set (1688).
      type: int
    lookup_domain:
      description: The domain searched for SRV records; null when not set.
      type: str
    host_caching:
      description: Whether host caching is on.
      type: bool
    activation_type:
      description: The Windows product's activation type after the run, with O(activation_type).
      type: str
      sample: ad
    activated_by:
      description:
        - How the Windows product was last activated (C(VLActivationType)), with
          O(activation_type); V(ad), V(kms), V(token), or null when never.
      type: str
      sample: ad
    activation_object:
      description: The activation object it activated from, when V(ad) (C(ADActivationObjectName)).
      type: str
      sample: WS2022 CSVLK
    activation_object_dn:
      description:
        - The activation object's distinguished name (C(ADActivationObjectDN)), when the last
          activation was V(ad); null otherwise.
      type: str
      sample: CN=WS2022,CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,DC=ad
    activation_object_sku_id:
      description:
        - The activation ID (SKU ID) of the CSVLK in that object (C(ADActivationCsvlkSkuId)), when
          the last activation was V(ad); null otherwise.
      type: str
      sample: 8ab9bdd1-1f67-4997-82d9-8878520837d9
    activation_object_extended_pid:
      description:
        - The extended PID of the CSVLK in that object (C(ADActivationCsvlkPid), C(slmgr /dlv)'s
          "AO extended PID"), when the last activation was V(ad); null otherwise.
      type: str
      sample: 03612-03858-000-000001-03-1033-17763.0000-2332019
    discovered_host:
      description: The KMS host the client last found in DNS, if any.
      type: str
    discovered_port:
      description: Its port.
      type: int
activation:
  description: How activating the Windows product went (when Windows is managed).
  returned: when O(product) is V(windows) or V(all) and the machine was read
  type: dict
  contains:
    state:
      description: V(activated), V(already_activated), V(below_threshold), V(failed), V(unknown)
        (Activate timed out and the product is not licensed when read again), V(not_requested),
        V(would_activate) (check mode), V(would_fail_no_srv) (check mode, the client finds its
        KMS host through DNS and its domain has no C(_vlmcs._tcp) SRV record; see
        O(dns_server)).
      type: str
      sample: below_threshold
    product:
      description: The product's name.
      type: str
    message:
      description:
        - What happened. For a failure, what failed, where, and the HRESULT with its name; the
          task's C(msg) adds what to do, in short (RV(what_to_do) has the whole advice).
      type: str
    hresult:
      description: The HRESULT of a failed attempt, for example V(0xC004F038); with
        V(would_fail_no_srv), the one the attempt would fail with (V(0x8007232B)).
      type: str
    current_count:
      description: The KMS host's count, when the client can see it (it cannot over WMI).
      type: int
    required_count:
      description: The KMS host's threshold for this product (25 client OS, 5 servers and Office).
      type: int
      sample: 25
    missing:
      description: How many more machines the host must count, when the count is known.
      type: int
    kms_host:
      description: The KMS host used, as the client knows it (pinned, or found in DNS; in
        check mode also the host the client cached, when its domain has no SRV record).
      type: str
      sample: kms1.corp.contoso.com:1688 (pinned)
hresult:
  description: On failure, the HRESULT that caused it.
  returned: failure
  type: str
  sample: "0xC004F074"
hresult_name:
  description:
    - On failure, the name of RV(hresult) (null where Microsoft publishes none).
    - The task's C(msg) is one short paragraph (what failed, the HRESULT and its name, what to do
      in a sentence); what the code means and the whole advice are RV(details) and
      RV(what_to_do), not repeated in C(msg). The other Windows modules fail the same way.
  returned: failure, when Windows gave an HRESULT
  type: str
  sample: SL_E_VL_BINDING_SERVICE_UNAVAILABLE
details:
  description: On failure, what RV(hresult) means (the troubleshooting page's explanation).
  returned: failure, when Windows gave an HRESULT
  type: str
  sample: "No KMS host could be contacted: every host the client tried failed or did not answer."
what_to_do:
  description: On failure, the whole advice for RV(hresult); C(msg) says it in short.
  returned: failure, when Windows gave an HRESULT
  type: str
wsman:
  description: The WS-Management cost of the task.
  returned: always
  type: dict
  contains:
    requests:
      description: Requests sent; 2 on a converged machine.
      type: int
      sample: 2
    bytes_sent:
      description: Request bytes.
      type: int
    bytes_received:
      description: Reply bytes.
      type: int
"""

from ansible.module_utils.basic import AnsibleModule

ARGUMENT_SPEC = {
    "product": {"type": "str", "choices": ["windows", "office", "all"], "default": "windows"},
    "key": {"type": "str", "no_log": True},
    "allow_unpublished_key": {"type": "bool", "default": False},
    "kms_host": {"type": "str"},
    "kms_port": {"type": "int"},
    "discovery": {"type": "bool", "default": False},
    "lookup_domain": {"type": "str"},
    "host_caching": {"type": "bool"},
    "activation_type": {"type": "str", "choices": ["all", "ad", "kms", "token"]},
    "activate": {"type": "bool", "default": True},
    "below_threshold": {
        "type": "str",
        "choices": ["fail", "warn", "ignore"],
        "default": "warn",
    },
    "dns_server": {"type": "str"},
    "dns_port": {"type": "int"},
}

# discovery with kms_host is refused by the action plugin, only when discovery is true.
SPEC_OPTIONS = {"required_by": {"kms_port": "kms_host", "dns_port": "dns_server"}}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, **SPEC_OPTIONS)
    module.fail_json(msg="this module runs as an action plugin on the controller")


if __name__ == "__main__":
    main()
