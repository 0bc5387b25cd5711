"""Lab 02 checkpoints: an image with properties, the queued state, a private image,
a public one, another project's view, and a download proven twice: the learner's copy
(lab-copy.img in the lab02 folder of the cloud's data directory) has the image's checksum,
and the cloud's trace holds the `GET /v2/images/<id>/file` that served it.

Run with `make lab-check LAB=02`. Each test is one step of the guide; its assertion
message is the hint the learner sees. PYTEST_DONT_REWRITE: show the hints as written.
"""

import hashlib
import sqlite3
from contextlib import closing
from pathlib import Path

import openstack.exceptions

DEMO = "openstack --os-cloud minicloud"
ADMIN = "openstack --os-cloud minicloud-admin"
CAROL = "--os-username carol --os-password c4rol --os-project-name partner"


def _image(conn, name):
    """The image called `name` that `conn` can see, or None."""
    try:
        return conn.image.find_image(name, ignore_missing=False)
    except openstack.exceptions.NotFoundException:
        return None


def _demos_image(demo, name):
    image = _image(demo, name)
    if image is not None and image.owner_id != demo.current_project_id:
        return None  # e.g. an admin's image of that name
    return image


def _carol(login):
    try:
        return login("carol", "c4rol", "partner")
    except openstack.exceptions.SDKException as exc:
        raise AssertionError(
            f"carol cannot log in to project partner ({exc}). Create them as the admin:\n"
            f"  {ADMIN} project create partner\n"
            f"  {ADMIN} user create --password c4rol carol\n"
            f"  {ADMIN} role add --project partner --user carol member") from None


def test_lab_image_uploaded(demo, lab_cloud):
    """Image lab-image belongs to project demo and is active."""
    image = _demos_image(demo, "lab-image")
    folder = lab_cloud.home / "lab02"
    assert image is not None, (
        f"Project demo has no image lab-image yet. Make a file in your lab02 folder and "
        f"upload it:\n"
        f"  mkdir -p {folder} && cd {folder}\n"
        f"  head -c 2097152 /dev/urandom > lab.img\n"
        f"  {DEMO} image create --file lab.img --disk-format raw --container-format bare \\\n"
        f"      --property os_distro=labos --property lab=02 --tag lab02 lab-image")
    assert image.status == "active", (
        f"lab-image is {image.status}: it has no data. Delete it and create it again with "
        f"--file:\n  {DEMO} image delete lab-image")
    assert image.size and image.checksum and image.hash_value, (
        "lab-image is active but has no size or checksum; upload it again.")


def test_lab_image_properties(demo):
    """lab-image has the properties os_distro=labos and lab=02, and the tag lab02."""
    image = _demos_image(demo, "lab-image")
    assert image is not None, "First upload lab-image (checkpoint 1)."
    props = image.properties or {}
    assert image.os_distro == "labos" or props.get("os_distro") == "labos", (
        f"lab-image has no property os_distro=labos. Add it:\n"
        f"  {DEMO} image set --property os_distro=labos lab-image")
    assert props.get("lab") == "02", (
        f"lab-image has no property lab=02. Add it:\n"
        f"  {DEMO} image set --property lab=02 lab-image")
    assert "lab02" in (image.tags or []), (
        f"lab-image has no tag lab02. Add it:\n  {DEMO} image set --tag lab02 lab-image")


def test_lab_queued_has_no_data(demo):
    """Image lab-queued exists without data, so it is still queued."""
    image = _demos_image(demo, "lab-queued")
    assert image is not None, (
        f"Project demo has no image lab-queued yet. Create one without --file:\n"
        f"  {DEMO} image create --disk-format raw --container-format bare lab-queued")
    assert image.status == "queued" and image.size is None, (
        f"lab-queued is {image.status} with size {image.size}: it should have no data at all.\n"
        f"Delete it and create it again without --file.")


def test_lab_secret_is_private(demo):
    """Image lab-secret belongs to project demo and is private."""
    image = _demos_image(demo, "lab-secret")
    assert image is not None, (
        f"Project demo has no image lab-secret yet. Upload one as private:\n"
        f"  {DEMO} image create --file lab.img --disk-format raw --container-format bare "
        f"--private lab-secret")
    assert image.visibility == "private", (
        f"lab-secret is {image.visibility}, not private. Make it private:\n"
        f"  {DEMO} image set --private lab-secret")


def test_lab_image_is_public(demo):
    """lab-image is public (only an admin can do that)."""
    image = _demos_image(demo, "lab-image")
    assert image is not None, "First upload lab-image (checkpoint 1)."
    assert image.visibility == "public", (
        f"lab-image is {image.visibility}. demo may not publish images (try it: HTTP 403);\n"
        f"the admin may:\n  {ADMIN} image set --public lab-image")


def test_carol_sees_public_not_private(demo, login):
    """carol (project partner) sees lab-image but not lab-secret."""
    carol = _carol(login)
    names = {i.name for i in carol.image.images()}
    assert "lab-image" in names, (
        f"carol does not see lab-image in her image list: make it public (checkpoint 5),\n"
        f"then look:  {DEMO} {CAROL} image list")
    secret = _demos_image(demo, "lab-secret")
    assert secret is not None, "First upload lab-secret (checkpoint 4)."
    try:
        carol.image.get_image(secret.id)
    except openstack.exceptions.NotFoundException:
        return
    raise AssertionError(
        f"carol can see lab-secret ({secret.visibility}): a private image must be visible to\n"
        f"its own project only.\n  {DEMO} image set --private lab-secret")


def _downloads(home: Path, image_id: str) -> list[sqlite3.Row]:
    """Glance's record of the image's data being served: its `GET /v2/images/<id>/file`
    spans that answered 200, in the cloud's trace store (trace.db in the data directory)."""
    path = home / "trace.db"
    if not path.exists():
        return []
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        db.row_factory = sqlite3.Row
        return db.execute("SELECT * FROM spans WHERE service = 'glance' AND operation = ? "
                          "AND status = 'ok'", (f"GET /v2/images/{image_id}/file",)).fetchall()


def test_download_verified(demo, lab_cloud):
    """Your download of lab-image, lab-copy.img in your lab02 folder, is what Glance served"""
    image = _demos_image(demo, "lab-image")
    assert image is not None, "First upload lab-image (checkpoint 1)."
    copy = lab_cloud.home / "lab02" / "lab-copy.img"
    save = (f"  cd {copy.parent}\n"
            f"  {DEMO} image save --file lab-copy.img lab-image\n"
            f"  cmp lab.img lab-copy.img && md5sum lab-copy.img")
    assert copy.is_file(), (
        f"There is no file {copy} yet. Download lab-image into your lab02 folder:\n{save}")
    md5 = hashlib.md5(copy.read_bytes()).hexdigest()
    assert md5 == image.checksum, (
        f"{copy} has the md5 {md5}, but Glance's checksum of lab-image is {image.checksum}:\n"
        f"it is not a copy of lab-image. Download it again:\n{save}")
    assert _downloads(lab_cloud.home, image.id), (
        f"{copy} holds lab-image's bytes, but Glance never served lab-image's data\n"
        f"(no GET /v2/images/{image.id}/file in the cloud's trace): a copy of lab.img\n"
        f"is not a download. Download the image from Glance:\n{save}")
