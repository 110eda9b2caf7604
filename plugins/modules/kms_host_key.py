#!/usr/bin/python
# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make a Windows machine a KMS host: host key, online activation, host settings, firewall rule."""

# E402 is wrong for Ansible modules: validate-modules demands DOCUMENTATION, EXAMPLES and RETURN
# before any import (import-before-documentation).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kms_host_key
short_description: Make a Windows machine a KMS host (host key, activation, host settings)
version_added: 0.1.0
description:
  - Installs a KMS host key (CSVLK) on a Windows machine, activates it online, sets the KMS host
    settings (listening port, DNS publishing, priority, intervals, host caching) and enables the
    built-in firewall rule C(SPPSVC-In-TCP); or, with O(state=absent), removes the host key and
    turns the machine back into a KMS client with its published GVLK.
  - Works for Windows and Office KMS host keys alike. The key is installed with
    C(SoftwareLicensingService.InstallProductKey) and the product it went into is found by the
    key's last group; the host key counts as installed when that product has the key's last
    group and the C(Volume:CSVLK) channel, whether or not the machine reports itself as a KMS
    host yet (no source says C(IsKeyManagementServiceMachine) turns 1 before C(sppsvc) restarts).
  - Speaks WS-Management to WMI directly from the controller over the task's own C(winrm) or
    C(psrp) connection; no PowerShell, no C(slmgr.vbs), no localized text is parsed.
  - Every host setting is optional and only touched when given; it is compared with the value
    C(SoftwareLicensingService) reports and its method is called only when the value differs.
  - KMS host settings and a new host key take effect when the Software Protection service
    (C(sppsvc)) restarts. The module restarts it when a change needs it and then reads the
    settings back; a setting that did not take fails the task, naming the setting. With
    O(restart_service=never) the restart is left to a handler and RV(restart_required) says so.
  - Windows takes KMS host settings only from a machine that reports the KMS host role, which after
    a new host key may wait for the next C(sppsvc) start (Microsoft's note on C(slmgr /ipk) says
    to restart it). Then V(auto) and V(always) restart C(sppsvc) before the host settings as well;
    with O(restart_service=never) the task does not fail; it leaves the host settings to the run
    after the restart, names them in a warning and sets RV(restart_required).
  - After installing the host key it writes the C(KeyManagementServiceVersion) registry value
    (REG_SZ, the service version) as C(slmgr /ipk) does, and deletes it with O(state=absent).
  - A converged run costs 2 WS-Man requests (C(SoftwareLicensingProduct) and
    C(SoftwareLicensingService) are two classes, and WQL cannot join them), 3 when O(firewall) is
    given (the rule lives in another namespace).
  - Works on Windows Vista / Server 2008 (Server 2008 with KB968912 for a Windows 7 era host key)
    and later, a Windows 7 client host key included. Only what the machine's version has is
    sent; an option the version cannot honour fails right after the two reads, before anything
    is written, naming the option, the version and the first version that has it (the
    repository's C(docs/windows-versions.md)). On Vista / Server 2008 the service restarted is
    C(slsvc).
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
    details: Reads only; no write request reaches the host.
  diff_mode:
    support: full
    details: Shows the host key (masked to its last group), activation, the settings the task
      manages and the firewall rule, before and after.
options:
  key:
    description:
      - The KMS host key (CSVLK) from the Volume Licensing Service Center, five groups of five
        characters.
      - Typographic dashes, blanks and lower case are accepted and normalized. A malformed key or
        a published KMS client key (GVLK) is refused before anything is sent.
      - Never shown in output, diff or logs; results show at most its last group.
      - Required with O(state=present). With O(state=absent), removes only the host key that ends
        like this one; without it, every KMS host key on the machine is removed.
    type: str
  state:
    description:
      - V(present) installs the host key unless that product already holds it, activates it (see
        O(activate)) and applies the settings given.
      - V(absent) removes the host key and installs the published GVLK of the installed edition
        (chosen from the product's license family, the EditionID, and the build), so the machine
        becomes a KMS client again; nothing is done when no host key is installed. Office host
        keys are uninstalled only.
    type: str
    choices: [present, absent]
    default: present
  activate:
    description:
      - Activate the host key online when it is not activated yet (C(slmgr /ato)); activation
        reaches Microsoft's activation servers from the host.
      - Only with O(state=present).
    type: bool
    default: true
  listening_port:
    description:
      - TCP port the KMS host listens on (C(slmgr /sprt)), 1-65535. Windows' default is 1688.
      - The built-in firewall rule admits TCP 1688 only; another port needs a rule of its own.
      - Windows 7 / Server 2008 R2 and later; refused on Windows Vista / Server 2008.
    type: int
  dns_publishing:
    description:
      - Whether the host publishes its C(_vlmcs._tcp) SRV records in DNS (C(/sdns), C(/cdns)).
      - Windows 7 / Server 2008 R2 and later; refused on Windows Vista / Server 2008 (use
        M(volact.kms.kms_publish_list) O(volact.kms.kms_publish_list#module:disable_publishing)).
    type: bool
  low_priority:
    description:
      - Run the KMS host at low priority (C(/cpri)); V(false) is normal priority (C(/spri)).
      - Windows 7 / Server 2008 R2 and later; refused on Windows Vista / Server 2008.
    type: bool
  activation_interval:
    description:
      - Minutes between activation attempts of clients that are not activated (C(/sai)),
        15-43200. Windows' default is 120.
    type: int
  renewal_interval:
    description:
      - Minutes between renewals of activated clients (C(/sri)), 15-43200. Windows' default is
        10080 (7 days).
    type: int
  host_caching:
    description:
      - Whether this machine, as a KMS client, caches the KMS host it found (C(/skhc), C(/ckhc)).
        Takes effect at once; allowed with either O(state).
      - Windows 7 / Server 2008 R2 and later; refused on Windows Vista / Server 2008.
    type: bool
  firewall:
    description:
      - Enable (V(true)) or disable (V(false)) the built-in firewall rule C(SPPSVC-In-TCP)
        ("Key Management Service (TCP-In)", TCP 1688). Not touched when not given.
      - Windows 8 / Server 2012 and later (C(MSFT_NetFirewallRule)); refused on older versions
        before anything is written, with how to open TCP 1688 there yourself.
    type: bool
  office_release:
    description:
      - The Office release whose KMS host key O(key) is (Office KMS host keys only).
      - While the key is not installed, the module first checks that the release's KMS host
        license is on the machine (the licensing product with the release's KMS host activation
        ID, which the release's volume license pack installs). When it is missing, it installs
        O(license_files), or fails before any write naming the pack to install
        (for example the Office 2016 Volume License Pack, Microsoft Download Center id 49164).
      - After the install it checks that the key went into that release's KMS host product, and
        activates it under the release's activation ID (C(slmgr /ato <ActID>)).
      - Microsoft's KMS host OSes per release are in the Office documentation; the Office 2010
        and 2013 activation IDs are taken from public scripts (no Microsoft page was found).
    type: int
    choices: [2010, 2013, 2016, 2019, 2021, 2024]
  license_files:
    description:
      - The C(.xrm-ms) files extracted from the O(office_release) volume license pack, on the
        controller (absolute paths, or relative to the role's or playbook's C(files) folder, as
        for M(ansible.builtin.copy)).
      - Used only when the release's KMS host license is missing; each file's text is then
        installed with C(SoftwareLicensingService.InstallLicense), what C(slmgr /ilc) does, in the
        order given.
      - Files are read as C(slmgr.vbs) reads them (UTF-16 with a byte order mark, else UTF-8);
        each must fit in one WS-Management envelope (the connection's max envelope size).
    type: list
    elements: path
  restart_service:
    description:
      - V(auto) restarts C(sppsvc) when a change needs it (a host key installed or removed, a host
        setting changed), then reads the settings back.
      - V(never) restarts nothing and sets RV(restart_required) when a restart is due; restart it
        in a handler (the C(kms_host) role does it once per host).
      - V(always) restarts C(sppsvc) even when nothing changed; this is what such a handler runs.
    type: str
    choices: [auto, never, always]
    default: auto
notes:
  - The host settings (O(listening_port), O(dns_publishing), O(low_priority),
    O(activation_interval), O(renewal_interval)) exist only on a KMS host; Windows refuses them
    before the host key is installed, and so does this module.
  - Activation errors name the HRESULT, its meaning and the fix, e.g. 0xC004C008 (the host key
    has been activated too often), 0xC004F015 (the host OS is too old for this host key) or
    0xC004F050 (invalid key, or a host key newer than the host OS supports).
  - Office KMS host keys need their release's volume license files first. Give O(office_release)
    so the module checks for them and installs O(license_files) (or names the pack to install)
    before the key; without it, an Office host key on a host without the pack fails with the
    HRESULT Windows gives (0xC004F015 or 0xC004F050).
  - When Activate times out, the product is read again and the result says whether it is
    activated; a timed-out call may still have run.
  - When a step fails after the host key went in, the remaining steps and the restart still run
    and the task fails at the end naming the first failure.
  - In check mode RV(kms_host) shows the machine as read, before any change.
seealso:
  - module: volact.kms.kms_srv_record
  - name: Plan for volume activation (KMS host keys and what they activate)
    description: Microsoft's KMS host key groups.
    link: https://learn.microsoft.com/windows-server/get-started/kms-activation-planning
"""

EXAMPLES = r"""
- name: Make kms1 a KMS host and open its firewall rule
  volact.kms.kms_host_key:
    key: "{{ vault_kms_host_key }}"
    firewall: true

- name: KMS host with tuned settings; restart sppsvc from a handler
  volact.kms.kms_host_key:
    key: "{{ vault_kms_host_key }}"
    listening_port: 1688
    dns_publishing: false
    activation_interval: 60
    renewal_interval: 10080
    restart_service: never
  register: host
  notify: Restart sppsvc

- name: Add the Office 2016 KMS host key; its volume license files first, if missing
  volact.kms.kms_host_key:
    key: "{{ vault_office2016_kms_host_key }}"
    office_release: 2016
    license_files: "{{ query('ansible.builtin.fileglob', 'office2016-vlpack/*.xrm-ms') }}"

- name: Retire a KMS host and turn it back into a KMS client
  volact.kms.kms_host_key:
    state: absent
    firewall: false
"""

RETURN = r"""
kms_host:
  description:
    - The C(slmgr /dlv) picture of the KMS host as data, read after the changes (in check mode,
      before them).
    - The host product is the Windows one when there is one, else the first Office one.
  returned: success and failures after the first read
  type: dict
  contains:
    is_kms_host:
      description: C(SoftwareLicensingService.IsKeyManagementServiceMachine).
      type: bool
      sample: true
    version:
      description: The Software Protection service version (its build is the OS build).
      type: str
      sample: 10.0.20348.1
    partial_product_key:
      description: The last group of the host key; null without a host key.
      type: str
      sample: T83GX
    product_name:
      description: The licensing product that holds the host key.
      type: str
      sample: Windows(R), ServerStandard edition
    description:
      description: Its description (names the host key channel).
      type: str
      sample: Windows(R) Operating System, VOLUME_KMS_WS22 channel
    application_id:
      description: Windows or Office application ID of the product.
      type: str
      sample: 55c92734-d682-4d71-983e-d6ec3f16059f
    license_family:
      description: The product's license family (the EditionID for Windows).
      type: str
      sample: ServerStandard
    channel:
      description: The product key channel.
      type: str
      sample: Volume:CSVLK
    license_status:
      description: C(LicenseStatus), 1 when activated.
      type: int
      sample: 1
    license_status_name:
      description:
        - Its name (Unlicensed, Licensed, OOBGrace, OOTGrace, NonGenuineGrace, Notification,
          ExtendedGrace).
      type: str
      sample: Licensed
    grace_minutes:
      description: C(GracePeriodRemaining) in minutes (0 once permanently activated).
      type: int
      sample: 0
    current_count:
      description: Distinct machines the host counted in the last 30 days; null when not a host.
      type: int
      sample: 27
    required_count:
      description: The count clients need (25 for client OS, 5 for servers and Office).
      type: int
      sample: 25
    listening_port:
      description: TCP port the host listens on; null when not a host.
      type: int
      sample: 1688
    dns_publishing:
      description: Whether the host publishes its SRV records.
      type: bool
      sample: true
    low_priority:
      description: Whether the host runs at low priority.
      type: bool
      sample: false
    activation_interval:
      description: Activation interval handed to clients, minutes.
      type: int
      sample: 120
    renewal_interval:
      description: Renewal interval handed to clients, minutes.
      type: int
      sample: 10080
    host_caching:
      description: Whether this machine caches the KMS host it found.
      type: bool
      sample: true
    requests:
      description: The host's request counters.
      type: dict
      sample: {total: 40, failed: 2, unlicensed: 0, licensed: 30, oob_grace: 8, oot_grace: 0,
               non_genuine_grace: 0, notification: 0}
    host_keys:
      description: Every KMS host key on the machine, masked to its last group.
      type: list
      elements: str
      sample: [XXXXX-XXXXX-XXXXX-XXXXX-T83GX]
office_host:
  description:
    - The Office KMS host O(office_release) names, after the run.
  returned: when O(office_release) is given
  type: dict
  contains:
    release:
      description: The Office release.
      type: int
      sample: 2016
    name:
      description: Its name.
      type: str
      sample: Office 2016
    activation_id:
      description: The activation ID of its KMS host product (C(slmgr /ato <ActID>)).
      type: str
      sample: 98EBFE73-2084-4C97-932C-C0CD1643BEA7
    pack:
      description: The volume license pack that carries its license files.
      type: str
      sample: Office 2016 Volume License Pack
    license_files_installed:
      description: The O(license_files) this run installed (their names), in order.
      type: list
      elements: str
      sample: [kmshostvl_kms_host-ul-oob.xrm-ms]
    partial_product_key:
      description: The last group of the host key in that product; null without one.
      type: str
      sample: WFG99
    license_status_name:
      description: The product's license status name; null without a key.
      type: str
      sample: Licensed
firewall_rule:
  description: The rule C(SPPSVC-In-TCP) afterwards, when O(firewall) is given.
  returned: when O(firewall) is given
  type: dict
  sample: {name: SPPSVC-In-TCP, display_name: Key Management Service (TCP-In), enabled: true,
           profiles: 3}
changes:
  description: What was done (in check mode, what would be done), in order.
  returned: always
  type: list
  elements: str
  sample:
    - install the KMS host key XXXXX-XXXXX-XXXXX-XXXXX-T83GX
    - activate the KMS host key online
    - "listening_port: 1688 -> 1700"
    - restart the Software Protection service (sppsvc)
restart_required:
  description:
    - True when a change needs an sppsvc restart that did not happen (O(restart_service=never),
      or the restart failed). In check mode, whether a real run would leave it to a handler.
  returned: always
  type: bool
  sample: false
settings_waiting:
  description:
    - The host settings not made yet because the host key is installed but the machine does not
      report the KMS host role until sppsvc restarts, and O(restart_service=never) left that
      restart to the caller. Restart sppsvc and run the task again to make them (the
      C(volact.kms.kms_host) role does both in the same run).
  returned: always
  type: list
  elements: str
  sample: [listening_port]
service_restarted:
  description: Whether sppsvc was restarted (and the settings read back).
  returned: always
  type: bool
  sample: true
diff:
  description: Before and after (host key masked), with C(--diff).
  returned: with --diff
  type: dict
  sample:
    before: {host_key: null, activated: false, listening_port: 1688}
    after: {host_key: XXXXX-XXXXX-XXXXX-XXXXX-T83GX, activated: true, listening_port: 1700}
hresult:
  description: On failure, the HRESULT of the failed call, as hex.
  returned: failure, when Windows gave one
  type: str
  sample: "0xC004C008"
wsman:
  description:
    - Wire cost of the task. A converged run costs 2 requests, 3 with O(firewall).
  returned: always
  type: dict
  sample: {requests: 3, bytes_sent: 5214, bytes_received: 9876}
"""

from ansible.module_utils.basic import AnsibleModule

_SETTING = {"type": "int"}
ARGUMENT_SPEC = {
    "key": {"type": "str", "no_log": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "activate": {"type": "bool", "default": True},
    "listening_port": dict(_SETTING),
    "dns_publishing": {"type": "bool"},
    "low_priority": {"type": "bool"},
    "activation_interval": dict(_SETTING),
    "renewal_interval": dict(_SETTING),
    "host_caching": {"type": "bool"},
    "firewall": {"type": "bool"},
    "restart_service": {"type": "str", "choices": ["auto", "never", "always"], "default": "auto"},
    "office_release": {"type": "int", "choices": [2010, 2013, 2016, 2019, 2021, 2024]},
    "license_files": {"type": "list", "elements": "path"},
}
SPEC_OPTIONS = {"required_if": [("state", "present", ("key",))]}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, **SPEC_OPTIONS)
    module.fail_json(msg="this module runs as an action plugin on the controller")


if __name__ == "__main__":
    main()
