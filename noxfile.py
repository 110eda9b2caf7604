# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""nox sessions from antsibull-nox.toml; scripts/test runs `nox --no-venv -e extra-checks`."""

import antsibull_nox

antsibull_nox.load_antsibull_nox_toml()
