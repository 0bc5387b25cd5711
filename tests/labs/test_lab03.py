"""Lab 03 is fair: its checkpoints fail on an untouched cloud, and its reference solution
makes them pass. Runs on a fresh cloud of its own, with the checker as the learner runs it.
"""

from tests.labs.harness import Lab

LAB = Lab("lab03-neutron")
check = LAB.check
fresh, before, solved = LAB.fixtures(expect="lab-net is VXLAN VNI 10")
STEPS = 6


def test_checkpoints_fail_on_an_untouched_cloud_with_hints(before):
    out = before.stdout
    assert before.returncode == 1, out + before.stderr
    assert f"{STEPS} failed" in out
    assert "✗ 1. Network lab-net has subnet lab-subnet" in out
    assert "openstack --os-cloud minicloud network create lab-net" in out
    assert "Traceback" not in out and "assert " not in out  # hints only, no pytest internals
    # step 7 needs a real data plane (tests/netns/test_lab03_wire.py plays it)
    assert out.count("(not checked: netns mode only, and this cloud runs in the in-process "
                     "mode)") == 4


def test_checkpoints_pass_after_the_reference_solution(solved):
    assert "brq" in (solved.home / "lab03" / "agents.txt").read_text()  # the data plane, saved
    result = check(solved.home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{STEPS} passed" in result.stdout
    assert f"All {STEPS} checkpoints pass" in result.stdout


def test_solution_is_harmless_to_run_again(solved):
    result = LAB.solve(solved)
    assert result.returncode == 0, result.stdout + result.stderr
    assert check(solved.home).returncode == 0


def test_a_broken_step_is_named_with_its_hint(solved):
    """Undo one step (the floating IP let go of lab-port): exactly that checkpoint fails."""
    demo = solved.sdk("minicloud")
    port = demo.network.find_port("lab-port", ignore_missing=False)
    (fip,) = demo.network.ips(port_id=port.id)
    demo.network.update_ip(fip, port_id=None)
    try:
        result = check(solved.home)
        assert result.returncode == 1
        assert "1 failed" in result.stdout
        assert "lab-port has no floating IP" in result.stdout
    finally:
        demo.network.update_ip(fip, port_id=port.id)


def test_a_vni_copied_from_network_show_is_named(solved):
    """The old shortcut: the VNI taken from `network show` (as the admin), with nothing read
    off the data plane. Without the saved `minicloud agents` output the checkpoint fails;
    a saved output from before lab-net existed does not show its bridge."""
    saved = solved.home / "lab03" / "agents.txt"
    kept = saved.read_text()
    vni = solved.cli_json("network", "show", "lab-net",
                          cloud="minicloud-admin")["provider:segmentation_id"]
    solved.cli("network", "set", "--description", f"vni={vni}", "lab-net")
    saved.unlink()
    try:
        result = check(solved.home)
        assert result.returncode == 1 and "1 failed" in result.stdout, result.stdout
        assert "✗ 6. lab03/agents.txt holds `minicloud agents`" in result.stdout
        assert f"There is no file {saved} yet" in result.stdout
        assert f"minicloud agents > {saved}" in result.stdout

        saved.write_text("*** network: Linux bridge agent (neutron-linuxbridge-agent) :-)\n"
                         "  (no bridges: no port on this node yet)\n")
        result = check(solved.home)
        assert result.returncode == 1 and "1 failed" in result.stdout, result.stdout
        assert "shows no bridge brq" in result.stdout
    finally:
        saved.write_text(kept)
    assert check(solved.home).returncode == 0
