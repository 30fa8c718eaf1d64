"""The spec writer and export's pure parts: canonical order, defaults left out, file names, state."""

from __future__ import annotations

import yaml

from reconciler.engine.export import file_names, state_of
from reconciler.spec import writer
from reconciler.spec.models import Campaign
from reconciler.spec.schema import campaign_schema
from reconciler.tenant import Status
from tests.specs import spec_dict


def test_the_writer_follows_the_schemas_field_order_whatever_the_input_order() -> None:
    schema = campaign_schema()  # as generated from the models (the file sorts its keys)
    doc = spec_dict(
        "Alpha",
        "running",
        schedule={"windows": [{"end": "20:00", "start": "09:00", "days": ["MON"]}], "timeZone": "UTC"},
    )
    shuffled = {k: doc[k] for k in reversed(list(doc))}
    shuffled["spec"] = {k: doc["spec"][k] for k in reversed(list(doc["spec"]))}
    written = yaml.safe_load(writer.dump(shuffled))
    assert list(written) == list(schema["properties"])
    spec_order = list(schema["$defs"]["CampaignSpec"]["properties"])
    assert list(written["spec"]) == [k for k in spec_order if k in written["spec"]]
    assert list(written["spec"]["schedule"]["windows"][0]) == ["days", "start", "end"]


def test_the_writer_leaves_out_defaults_and_unknown_keys() -> None:
    doc = spec_dict(
        "Alpha",
        "stopped",
        description="",
        launch={"pollInterval": "3s", "pollJitter": "2s", "timeout": "10m"},
    )
    doc["spec"]["dnc"]["listIds"] = []
    doc["spec"]["surprise"] = 1
    doc["metadata"]["labels"] = {}
    text = writer.dump(doc)
    for absent in ("description", "state", "launch", "listIds", "surprise", "labels"):
        assert absent not in text
    assert (
        Campaign.model_validate(yaml.safe_load(text)).definition()
        == Campaign.model_validate(
            {**doc, "spec": {k: v for k, v in doc["spec"].items() if k != "surprise"}}
        ).definition()
    )


def test_times_are_quoted_and_odd_names_survive_the_round_trip() -> None:
    name = "yes: no # @here 'quoted' \"double\" \u202e\x07 09:00"
    window = {"days": ["MON"], "start": "08:00", "end": "10:30"}
    doc = spec_dict(schedule={"timeZone": "UTC", "windows": [window]})
    doc["metadata"]["name"] = name
    text = writer.dump(doc)
    assert 'start: "08:00"' in text and 'end: "10:30"' in text
    assert yaml.safe_load(text)["metadata"]["name"] == name
    assert "\x07" not in text and "\u202e" not in text  # written as escapes


def test_file_names_do_not_depend_on_the_order_campaigns_are_listed_in() -> None:
    names = ["b", "B", "a/b", "a:b", "Plain-1.2_x", "", " ", "Ωmega", "Alpha\n"]
    first = file_names(names)
    assert file_names(reversed(names)) == first
    assert first["Plain-1.2_x"] == "Plain-1.2_x.yaml"
    assert first["B"] == "B.yaml"
    assert first["Alpha\n"].startswith("Alpha-") and "\n" not in first["Alpha\n"]
    assert first["b"].startswith("b-") and first["b"] != "b.yaml"
    assert len({v.casefold() for v in first.values()}) == len(names)
    assert all("/" not in v and not v.startswith(".") for v in first.values())


def test_active_campaigns_are_running_and_every_other_status_is_stopped() -> None:
    assert {s: state_of(s) for s in Status} == {
        Status.QUEUED: "running",
        Status.INITIALIZING: "running",
        Status.RUNNING: "running",
        Status.STOPPING: "stopped",
        Status.STOPPED: "stopped",
        Status.COMPLETED: "stopped",
        Status.ERROR: "stopped",
    }
