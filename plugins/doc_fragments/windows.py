# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attributes every volact.kms Windows module shares: an action plugin that speaks WS-Management
from the controller, one host per task, never async, in the ``volact.kms.kms`` action group.
Check mode and diff mode differ per module and stay in each module's own documentation."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  platform:
    support: full
    platforms: windows
  action_group:
    support: full
    membership:
      - volact.kms.kms
"""
