"""Stand-in for ansible-test's downloaded get-pip bootstrap script.

ansible-test runs this in each new sanity virtualenv with pip's install options as arguments
(without the ``install`` verb). We install the same pip version from a wheel that ``scripts/setup``
fetched from PyPI, so ansible-test works where only PyPI is reachable. ``@WHEEL@`` is replaced by
the wheel's path when ``scripts/setup`` copies this file into ansible-test's cache.
"""

import sys

WHEEL = "@WHEEL@"

# get-pip.py options that pip itself does not know.
OWN_OPTIONS = {"--no-setuptools", "--no-wheel"}


def main() -> int:
    sys.path.insert(0, WHEEL)
    from pip._internal.cli.main import main as pip_main  # noqa: PLC0415  # only after the path is set

    args = [arg for arg in sys.argv[1:] if arg not in OWN_OPTIONS]
    return pip_main(["install", "--upgrade", "--force-reinstall", *args])


if __name__ == "__main__":
    sys.exit(main())
