#!/usr/bin/python
# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read everything about one Windows machine's volume activation, for audits and reports."""

# E402 is wrong for Ansible modules: validate-modules demands DOCUMENTATION, EXAMPLES and RETURN
# before any import (import-before-documentation).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kms_activation_info
short_description: Read a Windows machine's volume activation state, KMS settings and problems
version_added: 0.1.0
description:
  - Reads, in one task, everything that matters about one machine's licensing and KMS volume
    activation, and says whether the machine needs attention and why.
  - The primary Windows product, chosen as C(slmgr.vbs) chooses it (Windows application ID, a
    key installed, not an add-on), and the Office products, each with its license channel,
    status, the reason for that status (the HRESULT explained), the grace time left (minutes,
    days and the date it ends) and the partial product key. Only the partial key is ever read.
  - On a KMS host, the C(slmgr /dlv) picture - current and required count, listening port, DNS
    publishing, priority, intervals and request counters; on every machine, how it finds a KMS
    host (pinned host and port, lookup domain, host caching) and the host it last found.
  - The KMS values of the C(SoftwareProtectionPlatform) registry key, with C(DnsDomainPublishList)
    decoded. A value that cannot be decoded or has the wrong type is reported raw with the
    problem; it never fails the task.
  - On a KMS host, the recent events 12290 (client requests), 12293 (SRV publishing failed) and
    12294 (SRV published), read from C(Win32_NTLogEvent) with one query filtered on the event IDs
    and a time window.
  - A RV(kms_activation.attention) list of findings with stable codes, each with its HRESULT
    explained where one applies.
  - Never changes anything (RV(ignore:changed) is always false); check mode returns the same
    facts and diff mode shows no diff.
  - Speaks WS-Management to WMI over the task's own C(winrm) or C(psrp) connection from the
    controller. No shell, no PowerShell, no C(slmgr.vbs); nothing localized is parsed, so the
    result is the same on every Windows language.
  - Works on Windows Vista / Server 2008 and later, reading only what the machine's version has
    (C(SoftwareLicensingService) with C(SELECT *), the product properties of its C(Version));
    what a version lacks is null, for example the lookup domain before Windows 8 / Server 2012.
    On Windows 7 / Server 2008 R2 the channel comes from C(Description) and the pinned port from
    the registry; on Vista / Server 2008 the registry values are read from
    C(HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\SL) (the repository's
    C(docs/windows-versions.md)).
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
    details: Reads only, so check mode returns exactly what a normal run returns.
  diff_mode:
    support: none
options:
  events:
    description:
      - Read the KMS host's recent events 12290, 12293 and 12294.
      - Only KMS hosts log these events, so other machines are never asked.
    type: bool
    default: true
  event_days:
    description:
      - How many days back to read events, counted from the controller's clock.
    type: int
    default: 30
  event_limit:
    description:
      - How many events, newest first, to return in RV(kms_activation.events.records).
      - The counts in RV(kms_activation.events.summary) and the findings always cover every
        event of the window. V(0) returns them all.
    type: int
    default: 100
  grace_warning_days:
    description:
      - A product whose grace time (or whose KMS activation) ends in fewer days than this gets
        a C(grace_expiring) finding.
    type: int
    default: 15
  ospp:
    description:
      - Whether to read the Office Software Protection Platform (OSPP,
        C(OfficeSoftwareProtectionService) and C(OfficeSoftwareProtectionProduct)), where Office
        2010 keeps its licenses on every Windows, and Office 2013 and 2016 on Windows 7 / Server
        2008 R2 (Microsoft KB 2870357; the repository's C(docs/office.md)).
      - V(auto) reads it on Windows 7 / Server 2008 R2 and older, where every volume Office is
        in OSPP. V(always) also on Windows 8 and later (Office 2010 there), one request more on
        every machine, which finds no class where OSPP is not installed. V(never) does not.
      - Its Office products join RV(kms_activation.office) with C(license_service=ospp).
    type: str
    choices: [auto, always, never]
    default: auto
notes:
  - "Wire cost: 3 WS-Man requests on a machine with no KMS value in its registry, plus 1 per KMS
    registry value present, plus 1 per page of events (up to 100 a page, fewer when they do not fit
    the envelope) on a KMS host with O(events=true).
    A KMS host with a publish list costs 5 (4 with O(events=false)). More than one is needed
    because WMI answers one class per query (C(SoftwareLicensingService),
    C(SoftwareLicensingProduct), C(Win32_NTLogEvent)) and C(StdRegProv) reads one value per
    call; the registry key is listed first so that absent values cost nothing. Reading OSPP
    (O(ospp)) costs 1 request more where it is not installed, 2 where it is."
  - The event window and RV(kms_activation.windows.grace_expires) use the controller's clock. KMS
    itself needs the clocks of hosts and clients to agree, so this is the host's time too on a
    working fleet.
  - Reading C(Win32_NTLogEvent) needs the same rights as the other WMI reads; if it fails, the
    facts say so in RV(kms_activation.events.problem) and a C(events_unavailable) finding.
  - The position of the domain among the insertion strings of events 12293 and 12294, and the
    name of the registry value behind C(slmgr /skms-domain), are not confirmed by a Microsoft
    document.
seealso:
  - name: Registry settings for volume activation
    description: The values under C(SoftwareProtectionPlatform) and their types.
    link: https://learn.microsoft.com/previous-versions/windows/it-pro/windows-server-2012-r2-and-2012/dn502532(v=ws.11)
  - name: WMI properties and methods for volume activation
    description: The C(SoftwareLicensingService) and C(SoftwareLicensingProduct) properties read.
    link: https://learn.microsoft.com/previous-versions/windows/it-pro/windows-server-2012-r2-and-2012/dn502536(v=ws.11)
  - name: Win32_NTLogEvent class
    description: The WMI class the events are read from.
    link: https://learn.microsoft.com/previous-versions/windows/desktop/eventlogprov/win32-ntlogevent
"""

EXAMPLES = r"""
- name: Read licensing facts on every Windows machine
  volact.kms.kms_activation_info:
  register: licensing

- name: List the machines that need attention, and why
  ansible.builtin.debug:
    msg: "{{ licensing.kms_activation.attention | map(attribute='message') | list }}"
  when: licensing.kms_activation.needs_attention

- name: Only the facts, no events, warn two months ahead of any deadline
  volact.kms.kms_activation_info:
    events: false
    grace_warning_days: 60
  register: licensing

- name: The KMS hosts' last 7 days of events, all of them
  volact.kms.kms_activation_info:
    event_days: 7
    event_limit: 0
  register: host_facts
  when: inventory_hostname in groups['kms_hosts']
"""

RETURN = r"""
kms_activation:
  description: Everything read about the machine's licensing.
  returned: success
  type: dict
  contains:
    collected_at:
      description: When the facts were read (controller clock, UTC, ISO 8601).
      type: str
      sample: "2026-11-21T10:08:04Z"
    spp_version:
      description: The Software Protection service version (C(SoftwareLicensingService.Version)).
      type: str
      sample: 10.0.20348.1
    build:
      description: The OS build, from the service version.
      type: int
      sample: 20348
    client_machine_id:
      description: The machine's KMS client machine ID (CMID).
      type: str
    edition:
      description: The primary Windows product's license family (non-localized edition name).
      type: str
      sample: ServerStandard
    activated:
      description: Whether the primary Windows product is licensed.
      type: bool
    windows:
      description:
        - The primary Windows product, as C(slmgr.vbs) chooses it; null when no Windows key is
          installed or several rows could be it (then see RV(kms_activation.windows_problem)).
        - Same keys as each element of RV(kms_activation.office).
      type: dict
      contains:
        name:
          description: The product's name.
          type: str
          sample: Windows(R), ServerStandard edition
        partial_product_key:
          description: The last five characters of the installed key; the full key is never read.
          type: str
          sample: VMK7H
        channel:
          description: C(ProductKeyChannel) as Windows reports it (null on Windows without it).
          type: str
          sample: Volume:GVLK
        channel_kind:
          description: V(retail), V(oem), V(mak), V(gvlk), V(csvlk), V(evaluation) or V(unknown).
          type: str
        license_status_name:
          description: V(Unlicensed), V(Licensed), V(OOBGrace), V(OOTGrace), V(NonGenuineGrace),
            V(Notification) or V(ExtendedGrace).
          type: str
        license_status_reason:
          description: C(LicenseStatusReason) as a hex HRESULT; null when 0.
          type: str
          sample: "0xC004F074"
        license_status_reason_explained:
          description: The reason's symbol, meaning and what to do (keys C(code), C(symbol),
            C(meaning), C(what_to_do), C(category)); null when there is no reason.
          type: dict
        grace_minutes:
          description: C(GracePeriodRemaining); for an activated KMS client, the time left before
            the activation must be renewed; 0 for a permanent activation or an expired grace.
          type: int
        grace_days:
          description: The same in days (one decimal); null when 0.
          type: float
        grace_expires:
          description: When the grace time ends (UTC, ISO 8601); null when 0.
          type: str
        is_kms_host:
          description: Whether this product carries a KMS host key (CSVLK).
          type: bool
        adba_available:
          description:
            - Whether this product's Windows has Active Directory-Based Activation (Windows 8 /
              Server 2012 and later, products in the Windows store). False on Windows 7 / Server
              2008 R2 and older and for Office in OSPP, whose classes lack the properties below,
              which are then not asked for.
          type: bool
        activation_type:
          description:
            - The activation types the product accepts (C(VLActivationTypeEnabled), set with
              C(slmgr /act-type) or O(volact.kms.kms_client_setup_key#module:activation_type));
              V(all), V(ad), V(kms) or V(token); null where ADBA is not available.
          type: str
          sample: all
        activated_by:
          description:
            - How the licensed product was last activated (C(VLActivationType)), V(ad) from an
              activation object in the forest, V(kms) from a KMS host (the C(pinned_host),
              C(discovered_host) keys name it), V(token); null when it is not licensed or
              activated otherwise (a MAK, a retail key).
            - Where ADBA is not available, V(kms) for a licensed KMS client key (GVLK).
          type: str
          sample: ad
        activation_object:
          description:
            - The activation object of an activation by V(ad), as Windows names it
              (C(ADActivationObjectName), C(ADActivationObjectDN), C(ADActivationCsvlkSkuId),
              C(ADActivationCsvlkPid)), with keys C(name), C(dn), C(sku_id) (the CSVLK's
              activation ID) and C(extended_pid); null otherwise.
          type: dict
          sample:
            name: WS2022 CSVLK
            dn: CN=WS2022 CSVLK,CN=Activation Objects,CN=Microsoft SPP,CN=Services,...
            sku_id: 8ab9bdd1-1f67-4997-82d9-8878520837d9
            extended_pid: 03612-03858-000-000001-03-1033-17763.0000-2332019
    adba_available:
      description:
        - Whether the machine's Windows has Active Directory-Based Activation (Windows 8 / Server
          2012 and later), told by the service's version; it costs no request.
      type: bool
    windows_problem:
      description: Why no primary Windows product could be chosen, when several rows qualify.
      type: str
    office:
      description:
        - The Office products with a key installed (application IDs of Office 2013+ and 2010),
          with the keys of RV(kms_activation.windows) plus C(id), C(description),
          C(application), C(application_id), C(license_family), C(license_status), C(licensed),
          C(pinned_host), C(pinned_port), C(discovered_host), C(discovered_port),
          C(current_count), C(required_count).
        - C(license_service) says where the license is kept, V(spp) (the Windows store) or
          V(ospp) (O(ospp)); OSPP rows have no C(license_family) and no KMS counts.
      type: list
      elements: dict
    ospp:
      description:
        - The Office Software Protection Platform's service when it was read (O(ospp)) and is
          installed, with C(version), C(client_machine_id) (OSPP's own) and C(host_caching); else
          null.
      type: dict
      sample: {version: 14.0.7015.1000, client_machine_id: 37a70251-3650-58b7-ac02-9a1898cd9bef,
               host_caching: true}
    ospp_problem:
      description: Why OSPP could not be read (a fault other than a missing class); else null.
      type: str
    other_products:
      description: Other rows with a key (add-ons such as ESU, stale Windows rows), same keys.
      type: list
      elements: dict
    is_kms_host:
      description: Whether the machine is a KMS host (C(IsKeyManagementServiceMachine)).
      type: bool
    kms_host:
      description: The C(slmgr /dlv) picture of a KMS host; null on other machines.
      type: dict
      contains:
        current_count:
          description: Distinct machines the host counted in the last 30 days.
          type: int
        required_count:
          description: The count the host needs to activate clients (25 client OS, 5 servers).
          type: int
        threshold_reached:
          description: Whether the current count has reached the required count.
          type: bool
        listening_port:
          description: The TCP port the host listens on.
          type: int
        dns_publishing:
          description: Whether the host publishes its SRV records.
          type: bool
        low_priority:
          description: Whether the host runs at low priority.
          type: bool
        activation_interval:
          description: Minutes between activation attempts the host hands to clients.
          type: int
        renewal_interval:
          description: Minutes between renewals the host hands to clients.
          type: int
        requests:
          description: Request counters (C(total), C(failed), C(unlicensed), C(licensed),
            C(oob_grace), C(oot_grace), C(non_genuine_grace), C(notification)).
          type: dict
    kms_client:
      description: How the machine finds a KMS host.
      type: dict
      contains:
        pinned_host:
          description: The host set with C(slmgr /skms); null when DNS discovery is used.
          type: str
        pinned_port:
          description: The port set with C(slmgr /skms); null when not set.
          type: int
        lookup_domain:
          description: The DNS domain set with C(slmgr /skms-domain).
          type: str
        host_caching:
          description: Whether the client keeps using the last host that answered.
          type: bool
        discovered_host:
          description: The KMS host last found in DNS, without a trailing dot.
          type: str
        discovered_port:
          description: Its port.
          type: int
        activation_interval:
          description: Minutes between activation attempts.
          type: int
        renewal_interval:
          description: Minutes between renewals.
          type: int
        activation_type:
          description:
            - The machine-wide activation type (C(slmgr /act-type) without an activation ID),
              from the registry value C(VLActivationType) of the key in RV(kms_activation.registry);
              V(all) when not set, null where ADBA is not available or the value is unreadable.
            - Each product's own is in its C(activation_type).
          type: str
    registry:
      description:
        - The KMS values under
          C(HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\SoftwareProtectionPlatform).
      type: dict
      contains:
        path:
          description: The key read.
          type: str
        key_exists:
          description: Whether the key exists.
          type: bool
        kms_values:
          description:
            - One entry per KMS value, by Microsoft's value name (C(DnsDomainPublishList),
              C(DisableDnsPublishing), C(EnableKmsLowPriority), C(KeyManagementServiceName),
              C(KeyManagementServicePort), C(KeyManagementServiceListeningPort),
              C(KeyManagementServiceLookupDomain), C(KeyManagementServiceVersion),
              C(UserOperations), C(VLActivationInterval), C(VLRenewalInterval)), each with
              C(present), C(type), C(documented_type), C(data) and C(problem).
          type: dict
        publish_list:
          description: C(DnsDomainPublishList) decoded; C(valid) false with C(raw) and C(problem)
            when it cannot be; C(entries) each with C(domain), C(priority) and C(weight).
          type: dict
          sample:
            present: true
            valid: true
            entries: [{domain: contoso.com, priority: 0, weight: 100}]
            raw: ["contoso.com, 0, 100"]
            problem: null
        problem:
          description: Why the key could not be listed, if it could not.
          type: str
    events:
      description: The KMS host's recent events.
      type: dict
      contains:
        queried:
          description: Whether the events were read (only on KMS hosts with O(events=true)).
          type: bool
        skipped_reason:
          description: Why they were not.
          type: str
        problem:
          description: Why they could not be read, if the query failed.
          type: str
        days:
          description: The window, in days.
          type: int
        since:
          description: Start of the window (UTC, ISO 8601).
          type: str
        count:
          description: How many events the window holds.
          type: int
        truncated:
          description: Whether RV(kms_activation.events.records) was cut to O(event_limit).
          type: bool
        summary:
          description: Per event (C(client_requests) 12290, C(publish_failed) 12293, C(published)
            12294) the C(count) and C(latest) time; for 12290 the C(results) by HRESULT, for
            12293 and 12294 the C(domains).
          type: dict
        records:
          description: The events, newest first, each with C(event_id), C(log), C(source),
            C(type), C(record_number), C(time), C(domain), C(hresult), C(hresult_explained),
            C(insertion_strings) and C(message) (localized on Windows; never parsed).
          type: list
          elements: dict
    attention:
      description:
        - What needs attention. Each finding has C(code), C(severity) (V(error) or V(warning)),
          C(subject), C(message) and C(hresult) (the explained HRESULT, or null).
        - "Codes: V(no_windows_key), V(windows_product_ambiguous), V(not_activated),
          V(grace_expiring), V(kms_host_not_activated), V(kms_below_threshold),
          V(kms_publish_failed), V(publish_list_invalid), V(registry_value_invalid),
          V(registry_unreadable), V(events_unavailable)."
      type: list
      elements: dict
      sample:
        - code: kms_below_threshold
          severity: warning
          subject: Windows(R), ServerStandard edition
          message: "Windows(R), ServerStandard edition: The KMS host counts 6 of the 25 ..."
          hresult: {code: "0xC004F038", symbol: SL_E_VL_NOT_ENOUGH_COUNT}
    needs_attention:
      description: Whether RV(kms_activation.attention) is not empty.
      type: bool
wsman:
  description: What the task cost on the wire.
  returned: always
  type: dict
  contains:
    requests:
      description: WS-Man requests sent.
      type: int
      sample: 5
    bytes_sent:
      description: Bytes sent.
      type: int
    bytes_received:
      description: Bytes received.
      type: int
"""

from ansible.module_utils.basic import AnsibleModule

ARGUMENT_SPEC = {
    "events": {"type": "bool", "default": True},
    "ospp": {"type": "str", "choices": ["auto", "always", "never"], "default": "auto"},
    "event_days": {"type": "int", "default": 30},
    "event_limit": {"type": "int", "default": 100},
    "grace_warning_days": {"type": "int", "default": 15},
}
SPEC_OPTIONS: dict = {}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, **SPEC_OPTIONS)
    module.fail_json(
        msg="kms_activation_info runs as an action plugin on the controller; call it as a task "
        "(volact.kms.kms_activation_info), not as a module on the host."
    )


if __name__ == "__main__":
    main()
