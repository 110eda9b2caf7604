"""The CIM surface of one machine: what the WS-Man front end calls.

``instances``/``get`` serve enumerations and WS-Transfer Get; ``invoke`` runs a method. Every call
is counted, every call that can change state lands in the write log (arguments masked), injected
faults apply, and SPP classes demand-start sppsvc as WMI calls into SppWmi do (wsman-wire §5
item 8). Failures surface as SppFault (SPP HRESULTs), LabTimeout (injected), CimError (the request
itself is wrong: unknown class, selectors, method or parameter) or a non-zero ReturnValue (service,
registry, firewall), each as the real provider reports it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from kmslab.model import adba, adba_offline
from kmslab.model.cim_classes import (
    CLASSES,
    COMPUTER_SYSTEM,
    EVENT_LOG,
    FIREWALL,
    OS,
    REGISTRY,
    SERVICE,
    SLP,
    SLS,
    ClassSpec,
    MethodSpec,
    coerce,
)
from kmslab.model.errors import CimError, CimErrorKind, HResult, LabTimeout, SppFault, hresult_text
from kmslab.model.faults import MethodFault
from kmslab.model.ntdomain import NTDOMAIN, ntdomain_properties
from kmslab.model.ospp import (
    OSPP,
    OSPP_VERSION,
    OSPS,
    PRODUCT_SCHEMAS,
    SERVICE_SCHEMAS,
    product_properties,
    service_properties,
)
from kmslab.model.registry import StdRegProv
from kmslab.model.service import ServiceState
from kmslab.model.views import ntlog_event_properties, served, slp_properties, sls_properties

if TYPE_CHECKING:
    from kmslab.model.machine import Machine


class CimProvider:
    def __init__(self, machine: Machine) -> None:
        self.machine = machine
        self._specs: dict[str, ClassSpec] = {}  # the SPP classes as this version has them

    # Reads ---------------------------------------------------------------------------------------
    def spec(self, class_name: str, namespace: str | None = None) -> ClassSpec:
        """The class as this machine's Windows version has it: the SPP classes keep only the
        members of the version's class page (``surfaces.py``), so WQL naming another property
        is refused (the WS-Man front end validates against ``schema``) and another method is
        an unknown method (WBEM_E_INVALID_METHOD)."""
        spec = CLASSES.get(class_name.casefold())
        wanted = namespace.replace("\\", "/").casefold() if namespace else None
        if spec is None or (wanted is not None and wanted not in spec.namespaces):
            # "The specified class does not exist in the given namespace." (wsman-wire §1.6 (f))
            raise CimError(
                CimErrorKind.NO_SUCH_CLASS, f"{class_name} in {namespace or 'any namespace'}"
            )
        if spec.ospp:
            return self._ospp_spec(spec, class_name)
        return self._versioned(spec)

    def _ospp_spec(self, spec: ClassSpec, class_name: str) -> ClassSpec:
        """The OSPP classes exist only where OSPP is installed (osppwmi.mof, older-windows-
        office-adba §2.2), with the properties of the variant ``ospp_surface``."""
        machine = self.machine
        if machine.ospp is None:
            raise CimError(CimErrorKind.NO_SUCH_CLASS, f"{class_name}: OSPP is not installed")
        form = machine.variants["ospp_surface"]
        schemas = PRODUCT_SCHEMAS if spec.name == OSPP else SERVICE_SCHEMAS
        key = f"{spec.name}:{form}"
        cached = self._specs.get(key)
        if cached is None:
            cached = self._specs[key] = replace(spec, schema=schemas[form])
        return cached

    def _versioned(self, spec: ClassSpec) -> ClassSpec:
        surface = self.machine.surface
        if spec.name not in surface.properties and spec.name not in surface.methods:
            return spec
        cached = self._specs.get(spec.name)
        if cached is None:
            cached = self._specs[spec.name] = replace(
                spec,
                schema={
                    name: cim_type
                    for name, cim_type in spec.schema.items()
                    if surface.has_property(spec.name, name)
                },
                methods={
                    name: method
                    for name, method in spec.methods.items()
                    if surface.has_method(spec.name, name)
                },
            )
        return cached

    def instances(self, class_name: str, namespace: str | None = None) -> list[dict[str, Any]]:
        spec = self.spec(class_name, namespace)
        self.machine.journal.count("enumerate", spec.name)
        self._read_fault(spec, "Enumerate")
        self._ensure_service(spec)
        return self._all(spec)

    def get(
        self, class_name: str, selectors: dict[str, str], namespace: str | None = None
    ) -> dict[str, Any]:
        spec = self.spec(class_name, namespace)
        self.machine.journal.count("get", spec.name)
        self._read_fault(spec, "Get")
        self._ensure_service(spec)
        index = self._select(spec, selectors)
        return self._all(spec)[index]

    def _all(self, spec: ClassSpec) -> list[dict[str, Any]]:
        machine = self.machine
        if spec.name == SLS:
            return [served(machine, SLS, sls_properties(machine))]
        if spec.name == SLP:
            return [served(machine, SLP, slp_properties(machine, sku)) for sku in machine.spp.skus]
        if spec.ospp:
            return self._ospp_rows(spec)
        many = {
            OS: lambda: [machine.os_properties()],
            COMPUTER_SYSTEM: lambda: [machine.computer_system_properties()],
            NTDOMAIN: lambda: [ntdomain_properties(machine)],
            SERVICE: lambda: [service.to_dict() for service in machine.services],
            FIREWALL: lambda: [rule.to_dict() for rule in machine.firewall.rules.values()],
        }
        if spec.name in many:
            return many[spec.name]()
        events = machine.events.events if spec.name == EVENT_LOG else []
        return [ntlog_event_properties(machine, event) for event in events]

    def _ospp_rows(self, spec: ClassSpec) -> list[dict[str, Any]]:
        machine = self.machine
        if spec.name == OSPS:
            return [service_properties(machine)]
        ospp = machine.ospp
        return [product_properties(machine, sku) for sku in ospp.skus] if ospp else []

    def _keys_of(self, spec: ClassSpec) -> list[str]:
        machine = self.machine
        return {
            SLS: lambda: [machine.image.service_version],
            SLP: lambda: [sku.id for sku in machine.spp.skus],
            SERVICE: lambda: [service.name for service in machine.services],
            OSPS: lambda: [OSPP_VERSION],
            OSPP: lambda: [sku.id for sku in machine.ospp.skus] if machine.ospp else [],
            OS: lambda: [str(machine.os_properties()["Name"])],
            COMPUTER_SYSTEM: lambda: [str(machine.computer_system_properties()["Name"])],
            NTDOMAIN: lambda: [str(ntdomain_properties(machine)["Name"])],
            FIREWALL: lambda: [rule.instance_id for rule in machine.firewall.rules.values()],
        }[spec.name]()

    def _select(self, spec: ClassSpec, selectors: dict[str, str] | None) -> int:
        """The index of the instance named by ``selectors`` (exactly the class keys)."""
        selectors = selectors or {}
        if set(selectors) != set(spec.keys):
            raise CimError(
                CimErrorKind.INVALID_SELECTORS,
                f"{spec.name} is selected by {', '.join(spec.keys)}, got {sorted(selectors)}",
            )
        if len(spec.keys) > 1:
            return self._select_by_keys(spec, selectors)
        wanted = str(selectors[spec.keys[0]]).casefold()
        for index, key in enumerate(self._keys_of(spec)):
            if key.casefold() == wanted:
                return index
        raise CimError(CimErrorKind.NO_SUCH_INSTANCE, f"{spec.name} {selectors}")

    def _select_by_keys(self, spec: ClassSpec, selectors: dict[str, str]) -> int:
        """A class with several keys (Win32_NTLogEvent: Logfile and RecordNumber): all match."""
        wanted = {key: str(selectors[key]).casefold() for key in spec.keys}
        for index, row in enumerate(self._all(spec)):
            if all(str(row[key]).casefold() == wanted[key] for key in spec.keys):
                return index
        raise CimError(CimErrorKind.NO_SUCH_INSTANCE, f"{spec.name} {selectors}")

    def _read_fault(self, spec: ClassSpec, operation: str) -> None:
        fault = self.machine.faults.take_method_fault(spec.name, operation)
        if fault:
            self._raise(fault, f"{spec.name} {operation}", ran=False)

    @staticmethod
    def _raise(fault: MethodFault, target: str, *, ran: bool) -> None:
        if fault.timeout:
            raise LabTimeout(target, ran=ran)
        raise SppFault(fault.hresult or HResult.E_ACCESSDENIED, f"injected on {target}")

    def _ensure_spp(self) -> None:
        """WMI calls into SppWmi start sppsvc when it is stopped (wsman-wire §5 item 8)."""
        service = self.machine.sppsvc
        if service.state is ServiceState.STOPPED and service.start_service() != 0:
            raise SppFault(HResult.ERROR_SERVICE_REQUEST_TIMEOUT, "sppsvc could not be started")

    def _ensure_service(self, spec: ClassSpec) -> None:
        """SPP classes start sppsvc; OSPP classes start osppsvc the same way (lab rule, as
        wsman-wire §5 item 8 for SPP)."""
        if spec.spp:
            self._ensure_spp()
        service = self.machine.osppsvc
        stopped = service is not None and service.state is ServiceState.STOPPED
        if spec.ospp and stopped and service.start_service() != 0:
            raise SppFault(HResult.ERROR_SERVICE_REQUEST_TIMEOUT, "osppsvc could not start")

    # Methods -------------------------------------------------------------------------------------
    def invoke(
        self,
        class_name: str,
        method: str,
        selectors: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        namespace: str | None = None,
    ) -> dict[str, Any]:
        spec = self.spec(class_name, namespace)
        name = next((m for m in spec.methods if m.casefold() == method.casefold()), None)
        if name is None:
            raise CimError(CimErrorKind.NO_SUCH_METHOD, f"{spec.name}.{method}")
        method_spec = spec.methods[name]
        params = dict(params or {})
        machine = self.machine
        machine.journal.count("invoke", spec.name, name)
        outcome = "not run"
        try:
            result = self._run(spec, name, method_spec, selectors, params)
            outcome = f"ReturnValue={result['ReturnValue']}"
            return result
        except SppFault as error:
            outcome = f"HRESULT {hresult_text(error.hresult)}"
            raise
        except LabTimeout as error:
            outcome = "timeout after running" if error.ran else "timeout"
            raise
        except CimError as error:
            outcome = str(error)
            raise
        finally:
            if method_spec.writes:
                machine.journal.record_write(
                    machine.clock.now(),
                    target=spec.name,
                    method=name,
                    selectors=selectors or {},
                    params=params,
                    outcome=outcome,
                )

    def _run(
        self,
        spec: ClassSpec,
        name: str,
        method_spec: MethodSpec,
        selectors: dict[str, str] | None,
        params: dict[str, Any],
    ) -> dict[str, Any]:
        fault = self.machine.faults.take_method_fault(spec.name, name)
        if fault and not (fault.timeout and fault.ran):
            self._raise(fault, f"{spec.name}.{name}", ran=False)
        refused = self.machine.faults.take_return_fault(spec.name, name)
        if refused is not None:
            return {"ReturnValue": refused}  # the provider's own way of failing (StdRegProv)
        self._ensure_service(spec)
        instance = self._keys_of(spec)[self._select(spec, selectors)] if spec.keys else ""
        values = self._values(spec, name, method_spec, params)
        result = self._handler(spec.name, name, instance, values)()
        if fault:
            self._raise(fault, f"{spec.name}.{name}", ran=True)
        return result if isinstance(result, dict) else {"ReturnValue": result}

    @staticmethod
    def _values(
        spec: ClassSpec, name: str, method_spec: MethodSpec, params: dict[str, Any]
    ) -> dict[str, Any]:
        declared = dict(method_spec.params)
        unknown = sorted(set(params) - set(declared))
        if unknown:
            raise CimError(
                CimErrorKind.INVALID_PARAMETER,
                f"{spec.name}.{name} has no parameter {', '.join(unknown)}",
            )
        values: dict[str, Any] = {}
        for param, cim_type in method_spec.params:
            if param not in params:
                if method_spec.optional:
                    continue
                raise CimError(CimErrorKind.INVALID_PARAMETER, f"{spec.name}.{name} needs {param}")
            try:
                values[param] = coerce(cim_type, params[param])
            except ValueError as error:
                raise CimError(CimErrorKind.INVALID_PARAMETER, f"{param}: {error}") from None
        return values

    def _handler(
        self, cls: str, name: str, instance: str, v: dict[str, Any]
    ) -> Callable[[], object]:
        machine = self.machine
        spp = machine.spp
        if cls == REGISTRY:
            missing = int(machine.variants["registry_missing_value"])
            return lambda: StdRegProv(machine.registry, missing).call(name, v)
        if cls == SERVICE:
            service = next(s for s in machine.services if s.name.casefold() == instance.casefold())
            return service.start_service if name == "StartService" else service.stop_service
        if cls == FIREWALL:
            return lambda: machine.firewall.set_enabled(instance, name == "Enable")
        if cls in (OSPS, OSPP):
            return self._ospp_handler(cls, name, instance, v)
        sku = instance if cls == SLP else None
        handlers: dict[str, Callable[[], object]] = {
            "InstallLicense": lambda: spp.install_license(str(v["License"])),
            "SetKeyManagementServiceMachine": lambda: spp.set_kms_machine(
                str(v["MachineName"]), sku
            ),
            "ClearKeyManagementServiceMachine": lambda: spp.clear_kms_machine(sku),
            "SetKeyManagementServicePort": lambda: spp.set_kms_port(int(v["PortNumber"]), sku),
            "ClearKeyManagementServicePort": lambda: spp.clear_kms_port(sku),
            "SetVLActivationTypeEnabled": lambda: spp.set_activation_type(
                int(v["ActivationType"]), sku
            ),
            "ClearVLActivationTypeEnabled": lambda: spp.clear_activation_type(sku),
            "Activate": lambda: spp.activate(instance),
            "UninstallProductKey": lambda: spp.uninstall_product_key(instance),
            "InstallProductKey": lambda: spp.install_product_key(str(v["ProductKey"])),
            "RefreshLicenseStatus": spp.refresh_license_status,
            "ClearProductKeyFromRegistry": spp.clear_product_key_from_registry,
            "SetKeyManagementServiceListeningPort": lambda: spp.set_listening_port(
                int(v["PortNumber"])
            ),
            "ClearKeyManagementServiceListeningPort": spp.clear_listening_port,
            "SetVLActivationInterval": lambda: spp.set_activation_interval(
                int(v["ActivationInterval"])
            ),
            "SetVLRenewalInterval": lambda: spp.set_renewal_interval(int(v["RenewalInterval"])),
            "DisableKeyManagementServiceDnsPublishing": lambda: spp.disable_dns_publishing(
                bool(v["DisablePublishing"])
            ),
            "EnableKeyManagementServiceLowPriority": lambda: spp.enable_low_priority(
                bool(v["EnableLowPriority"])
            ),
            "DisableKeyManagementServiceHostCaching": lambda: spp.disable_host_caching(
                bool(v["DisableCaching"])
            ),
            "SetKeyManagementServiceLookupDomain": lambda: spp.set_lookup_domain(
                str(v["LookupDomain"])
            ),
            "ClearKeyManagementServiceLookupDomain": spp.clear_lookup_domain,
            "DoActiveDirectoryOnlineActivation": lambda: adba.online_activation(
                spp, str(v["ProductKey"]), str(v["ActivationObjectName"])
            ),
            "GenerateActiveDirectoryOfflineActivationId": lambda: (
                adba_offline.generate_installation_id(spp, str(v["ProductKey"]))
            ),
            "DepositActiveDirectoryOfflineActivationConfirmation": lambda: (
                adba_offline.deposit_confirmation(
                    spp,
                    str(v["ProductKey"]),
                    str(v["ConfirmationID"]),
                    str(v["ActivationObjectName"]),
                )
            ),
        }
        return handlers[name]

    def _ospp_handler(
        self, cls: str, name: str, instance: str, v: dict[str, Any]
    ) -> Callable[[], object]:
        ospp = self.machine.ospp
        assert ospp is not None  # the class exists only then (_ospp_spec)
        sku = instance if cls == OSPP else None
        handlers: dict[str, Callable[[], object]] = {
            "SetKeyManagementServiceMachine": lambda: ospp.set_kms_machine(
                str(v["MachineName"]), sku
            ),
            "ClearKeyManagementServiceMachine": lambda: ospp.clear_kms_machine(sku),
            "SetKeyManagementServicePort": lambda: ospp.set_kms_port(int(v["PortNumber"]), sku),
            "ClearKeyManagementServicePort": lambda: ospp.clear_kms_port(sku),
            "Activate": lambda: ospp.activate(instance),
            "UninstallProductKey": lambda: ospp.uninstall_product_key(instance),
            "InstallProductKey": lambda: ospp.install_product_key(str(v["ProductKey"])),
            "InstallLicense": lambda: ospp.install_license(str(v["License"])),
            "DisableKeyManagementServiceHostCaching": lambda: ospp.disable_host_caching(
                bool(v["DisableCaching"])
            ),
        }
        return handlers[name]
