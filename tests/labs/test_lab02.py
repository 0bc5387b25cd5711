"""Lab 02 is fair: its checkpoints fail on an untouched cloud, and its reference solution
makes them pass. Runs on a fresh cloud of its own, with the checker as the learner runs it.
"""

from tests.labs.harness import Lab

LAB = Lab("lab02-glance")
check = LAB.check
fresh, before, solved = LAB.fixtures(expect="download intact")
STEPS = 7


def test_checkpoints_fail_on_an_untouched_cloud_with_hints(fresh, before):
    out = before.stdout
    assert before.returncode == 1, out + before.stderr
    assert f"{STEPS} failed" in out
    assert "✗ 1. Image lab-image belongs to project demo and is active" in out
    assert "Project demo has no image lab-image yet" in out
    assert "openstack --os-cloud minicloud image create --file lab.img" in out
    assert f"mkdir -p {fresh.home / 'lab02'}" in out  # files go to the lab's folder
    assert "Traceback" not in out and "assert " not in out  # hints only, no pytest internals


def test_checkpoints_pass_after_the_reference_solution(solved):
    assert (solved.home / "lab02" / "lab-copy.img").is_file()  # the download, where the lab says
    result = check(solved.home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{STEPS} passed" in result.stdout
    assert f"All {STEPS} checkpoints pass" in result.stdout


def test_solution_is_harmless_to_run_again(solved):
    result = LAB.solve(solved)
    assert result.returncode == 0, result.stdout + result.stderr
    assert check(solved.home).returncode == 0


def test_a_broken_step_is_named_with_its_hint(solved):
    """Undo one step (lab-secret made visible to everyone): exactly its checkpoints fail."""
    admin = solved.sdk("minicloud-admin")
    secret = admin.image.find_image("lab-secret", ignore_missing=False)
    admin.image.update_image(secret, visibility="community")
    try:
        result = check(solved.home)
        assert result.returncode == 1
        assert "2 failed" in result.stdout
        assert "lab-secret is community, not private" in result.stdout
        assert "carol can see lab-secret (community)" in result.stdout
    finally:
        admin.image.update_image(secret, visibility="private")


def test_a_copy_that_glance_never_served_is_named(solved):
    """The old shortcut: a file with the right md5 (a copy of lab.img) and the checksum from
    `image show` written down, but no download. lab-image is made again from lab.img, so its
    bytes are those of lab-copy.img, and Glance never served the new image's data."""
    folder = solved.home / "lab02"
    demo = solved.sdk("minicloud")
    demo.image.delete_image(demo.image.find_image("lab-image", ignore_missing=False))
    solved.cli("image", "create", "--file", str(folder / "lab.img"), "--disk-format", "raw",
               "--container-format", "bare", "--property", "os_distro=labos", "--property",
               "lab=02", "--tag", "lab02", "lab-image")
    solved.cli("image", "set", "--public", "lab-image", cloud="minicloud-admin")
    checksum = solved.cli_json("image", "show", "lab-image")["checksum"]
    solved.cli("image", "set", "--property", f"downloaded_md5={checksum}", "lab-image")
    result = check(solved.home)
    assert result.returncode == 1 and "1 failed" in result.stdout, result.stdout
    assert "✗ 7. Your download of lab-image" in result.stdout
    assert "Glance never served lab-image's data" in result.stdout
    assert "a copy of lab.img\n       is not a download" in result.stdout

    (folder / "lab-copy.img").unlink()  # and no file at all: the hint names the path
    result = check(solved.home)
    assert result.returncode == 1 and "1 failed" in result.stdout, result.stdout
    assert f"There is no file {folder / 'lab-copy.img'} yet" in result.stdout

    solved.cli("image", "save", "--file", str(folder / "lab-copy.img"), "lab-image")
    assert check(solved.home).returncode == 0
