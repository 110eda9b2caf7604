"""A failed client is said once: a short message, the long explanation in the result.

ansible-core's default callback (2.19 and later) shows a failed task twice by itself: the
``[ERROR]`` line with ``msg``, then the result with ``msg`` in it. So ``msg`` is one short
paragraph (what failed, the HRESULT and its name, what to do), and what the HRESULT means and the
whole advice are in ``details`` and ``what_to_do``, printed once, as part of the result.
"""

from __future__ import annotations

import re

from kmslab.presets import small

LAB_SHAPE = small()
TASK = "Activate against a KMS host that does not exist"
PLAY = f"""
- hosts: pc001
  gather_facts: false
  tasks:
    - name: {TASK}
      volact.kms.kms_client_setup_key:
        kms_host: nohost.corp.lab.test
"""
MEANING = "No KMS host could be contacted: every host the client tried failed or did not answer."
ADVICE = "read the client's Application log events 12288 for the host and error of each attempt"


def test_a_failed_activation_is_short_and_its_explanation_is_printed_once(lab, run_playbook):
    run = run_playbook(lab, PLAY)
    assert run.status("pc001", TASK) == "failed", run.output
    result = run.result("pc001", TASK)
    msg = result["msg"]

    # The message: what failed, where, the HRESULT with its name, what to do; one paragraph.
    assert len(msg) < 400, (len(msg), msg)
    assert "\n" not in msg
    assert msg.startswith("Activating Windows(R), Professional edition failed")
    assert "(KMS host: nohost.corp.lab.test:1688 (pinned))" in msg
    assert "0xC004F074 (SL_E_VL_BINDING_SERVICE_UNAVAILABLE)" in msg
    assert "What to do: Check that the KMS host runs" in msg
    assert MEANING not in msg
    assert ADVICE not in msg

    # The details, for -v, register and callbacks.
    assert result["hresult"] == "0xC004F074"
    assert result["hresult_name"] == "SL_E_VL_BINDING_SERVICE_UNAVAILABLE"
    assert result["details"] == MEANING
    assert ADVICE in result["what_to_do"]
    assert result["activation"]["state"] == "failed"

    # In the default output the [ERROR] line carries the message, the result the details, and
    # neither the meaning nor the advice is printed twice.
    error = re.search(r"^\[ERROR\]: .*$", run.stdout + run.stderr, re.M)
    assert error is not None, run.output
    assert msg in error.group(0)
    assert "0xC004F074" in error.group(0)
    assert error.group(0).count("0xC004F074") == 1
    assert run.output.count(MEANING) == 1
    assert run.output.count(ADVICE) == 1
    # The message itself: the [ERROR] line and the result's msg, ansible-core's two renderings;
    # nothing of ours repeats it (the activation's message says what failed, without the advice).
    assert run.output.count(msg) == 2
    assert result["activation"]["message"] in msg
    assert "[WARNING]" not in run.output
