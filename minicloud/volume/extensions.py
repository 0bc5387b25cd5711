"""`/v3/{project_id}/extensions` (`openstack extension list --volume`): the API extensions
of Cinder's v2 days that minicloud serves, by Cinder's own alias, name and date, so a
client that checks for one (e.g. `os-availability-zone`) finds it."""

from __future__ import annotations

from minicloud.common import errors

# alias: (name, description, updated) of each extension whose routes or fields we serve
SERVED = {
    "os-availability-zone": ("AvailabilityZones", "Describe Availability Zones.",
                             "2013-06-27T00:00:00+00:00"),
    "os-extended-services": ("ExtendedServices", "Extended services support.",
                             "2014-01-10T00:00:00-00:00"),
    "os-extended-snapshot-attributes": ("ExtendedSnapshotAttributes",
                                        "Extended SnapshotAttributes support.",
                                        "2012-06-19T00:00:00+00:00"),
    "os-quota-sets": ("Quotas", "Quota management support.", "2011-08-08T00:00:00+00:00"),
    "OS-SCH-HNT": ("SchedulerHints", "Pass arbitrary key/value pairs to the scheduler.",
                   "2013-04-18T00:00:00+00:00"),
    "scheduler-stats": ("Scheduler_stats", "Scheduler stats support.",
                        "2014-09-07T00:00:00+00:00"),
    "os-services": ("Services", "Services support.", "2012-10-28T00:00:00-00:00"),
    "os-types-extra-specs": ("TypesExtraSpecs", "Type extra specs support.",
                             "2011-08-24T00:00:00+00:00"),
    "os-types-manage": ("TypesManage", "Types manage support.", "2011-08-24T00:00:00+00:00"),
    "os-used-limits": ("UsedLimits", "Provide data on limited resources that are being used.",
                       "2013-10-03T00:00:00+00:00"),
    "os-volume-actions": ("VolumeActions", "Enable volume actions.",
                          "2012-05-31T00:00:00+00:00"),
    "os-vol-host-attr": ("VolumeHostAttribute", "Expose host as an attribute of a volume.",
                         "2011-11-03T00:00:00+00:00"),
    "os-vol-image-meta": ("VolumeImageMetadata",
                          "Show image metadata associated with the volume.",
                          "2012-12-07T00:00:00+00:00"),
    "os-vol-mig-status-attr": ("VolumeMigStatusAttribute",
                               "Expose migration_status as an attribute of a volume.",
                               "2013-08-08T00:00:00+00:00"),
    "os-vol-tenant-attr": ("VolumeTenantAttribute",
                           "Expose the internal project_id as an attribute of a volume.",
                           "2011-11-03T00:00:00+00:00"),
    "os-volume-type-access": ("VolumeTypeAccess", "Volume type access support.",
                              "2014-06-26T00:00:00Z"),
}


def view(alias: str) -> dict:
    name, description, updated = SERVED[alias]
    return {"alias": alias, "description": description, "links": [], "name": name,
            "updated": updated}


class Extensions:
    def on_get(self, req, resp):
        resp.media = {"extensions": [view(alias) for alias in sorted(SERVED)]}


class Extension:
    def on_get(self, req, resp, alias):
        if alias not in SERVED:
            raise errors.NotFound(f"Extension {alias} could not be found.")
        resp.media = {"extension": view(alias)}
