"""A building's contacts and map, edited in the admin: numbers checked and kept as Telegram
recognises them, a map checked to be a picture and made the size Telegram shows."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from buildings.maps import prepared
from buildings.models import Building, Contact
from conftest import building_form

pytestmark = pytest.mark.django_db


def picture(kind: str, size: tuple[int, int], mode: str = "RGB", **save: object) -> bytes:
    data = io.BytesIO()
    Image.new(mode, size, "navy" if mode == "RGB" else 1).save(data, kind, **save)
    return data.getvalue()


def contact(index: int, **fields: str) -> dict[str, str]:
    return {f"contacts-{index}-{name}": value for name, value in {"position": "0", "role": "other", **fields}.items()}


@pytest.fixture
def london(make_building) -> Building:
    return make_building(id=10, name="London", sections=1)


def test_contacts_are_kept_in_order_with_numbers_telegram_recognises(admin_client, london):
    response = admin_client.post(
        "/admin/buildings/building/10/change/",
        building_form(
            **{"contacts-TOTAL_FORMS": "3"},
            **contact(0, position="2", role="plumber", phone="+380 (44) 000-00-02"),
            **contact(1, position="1", role="electrician", label="Ivan", phone="+380671234567", hours="8–20"),
            **contact(2, position="3", role="management", telegram="london_office"),
        ),
    )
    assert response.status_code == 302
    assert list(Contact.objects.values_list("role", "phone", "telegram")) == [
        ("electrician", "+380671234567", ""),
        ("plumber", "+380440000002", ""),
        ("management", "", "@london_office"),
    ]


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"phone": "067 123 45 67"}, "write it with the country code"),
        ({"phone": "call Ivan"}, "is not a phone number to call"),
        ({"telegram": "https://example.com/ivan"}, "neither a Telegram username"),
        ({"label": "Ivan"}, "Give a phone number or a Telegram username"),
    ],
)
def test_a_contact_that_cannot_be_reached_is_refused_with_the_reason(admin_client, london, fields, problem):
    page = admin_client.post(
        "/admin/buildings/building/10/change/", building_form(**{"contacts-TOTAL_FORMS": "1"}, **contact(0, **fields))
    )
    assert page.status_code == 200 and problem in page.content.decode()
    assert not Contact.objects.exists()


def test_a_big_photo_of_the_map_is_made_the_size_telegram_shows(admin_client, london):
    exif = Image.Exif()
    exif[0x0112] = 6  # taken with the phone on its side: shown turned a quarter
    upload = SimpleUploadedFile("map.jpg", picture("JPEG", (4000, 3000), exif=exif), "image/jpeg")
    response = admin_client.post("/admin/buildings/building/10/change/", building_form(map_upload=upload))
    assert response.status_code == 302
    london.refresh_from_db()
    stored = Image.open(io.BytesIO(bytes(london.map_image or b"")))
    assert (stored.format, stored.size, london.map_type, london.map_version) == ("JPEG", (960, 1280), "image/jpeg", 1)
    assert "image/jpeg" in admin_client.get("/admin/buildings/building/10/change/").content.decode()


def test_a_drawn_plan_stays_a_sharp_png(admin_client, london):
    upload = SimpleUploadedFile("plan.png", picture("PNG", (600, 400)), "image/png")
    admin_client.post("/admin/buildings/building/10/change/", building_form(map_upload=upload))
    london.refresh_from_db()
    assert london.map_type == "image/png" and Image.open(io.BytesIO(bytes(london.map_image or b""))).size == (600, 400)


@pytest.mark.parametrize(
    ("upload", "problem"),
    [
        (SimpleUploadedFile("map.png", b"<html>not a picture</html>", "image/png"), "not a picture that can be read"),
        (SimpleUploadedFile("map.gif", picture("GIF", (40, 30)), "image/gif"), "A GIF picture: use PNG, JPEG or WebP."),
        (SimpleUploadedFile("map.png", picture("PNG", (9000, 6000), "1"), "image/png"), "at most 50 million"),
        (SimpleUploadedFile("map.png", picture("PNG", (40, 30))[:60], "image/png"), "not a picture that can be read"),
    ],
)
def test_a_map_that_is_not_a_usable_picture_is_refused_and_the_old_one_kept(admin_client, london, upload, problem):
    london.set_map(None)
    london.telegram_file_id = "kept"
    london.save()
    page = admin_client.post("/admin/buildings/building/10/change/", building_form(map_upload=upload))
    assert page.status_code == 200 and problem in page.content.decode()
    london.refresh_from_db()
    assert london.telegram_file_id == "kept" and london.map_version == 1


def test_a_new_map_or_none_forgets_telegrams_copy_of_the_old(admin_client, london):
    upload = SimpleUploadedFile("plan.png", picture("PNG", (60, 40)), "image/png")
    admin_client.post("/admin/buildings/building/10/change/", building_form(map_upload=upload))
    Building.objects.filter(pk=10).update(telegram_file_id="photo-1")
    admin_client.post("/admin/buildings/building/10/change/", building_form(remove_map="on"))
    london.refresh_from_db()
    assert (london.map_image, london.map_type, london.telegram_file_id, london.map_version) == (None, "", "", 2)


def test_a_file_id_for_a_map_replaced_meanwhile_is_not_kept(london):
    london.set_map(None)
    london.save()
    assert Building.remember_file_id(10, 1, "photo-1") is True
    assert Building.remember_file_id(10, 0, "photo-0") is False  # sent before the map changed
    assert Building.objects.get(pk=10).telegram_file_id == "photo-1"


def test_contacts_in_the_mapping_file_come_in_its_order_and_go_back_out(london):
    from sensors.mappings import export_document, import_document

    listed = [
        {"role": "electrician", "label": "Ivan", "phone": "+380 67 123 45 67", "hours": "8–20"},
        {"role": "management", "telegram": "london_office", "note": "Write any time"},
    ]
    report = import_document({"buildings": [{"id": 10, "name": "London", "contacts": listed}]})
    assert report.counts["buildings"]["updated"] == 1
    exported = export_document()["buildings"][0]["contacts"]
    assert exported == [
        {"role": "electrician", "label": "Ivan", "phone": "+380671234567", "hours": "8–20"},
        {"role": "management", "telegram": "@london_office", "note": "Write any time"},
    ]
    again = import_document({"buildings": [{"id": 10, "name": "London", "contacts": exported}]})
    assert again.counts["buildings"]["unchanged"] == 1 and Contact.objects.count() == 2
    import_document({"buildings": [{"id": 10, "name": "London", "contacts": exported[1:]}]})
    assert list(Contact.objects.values_list("role", "position")) == [("management", 1)]


@pytest.mark.parametrize(
    ("listed", "problem"),
    [
        ([{"role": "electrician"}], "contacts 1: "),
        ([{"phone": "+380671234567", "email": "x@example.com"}], "contacts 1: unknown field(s) email"),
        ([{"phone": "+380671234567"}, {"role": "wizard", "phone": "+380671234568"}], "contacts 2: role:"),
        ({"phone": "+380671234567"}, "contacts must be a list of mappings"),
        ([{"phone": 380671234567}], 'contacts 1: phone must be text such as "+380 67 123 45 67" (in quotes in YAML)'),
    ],
)
def test_a_contact_in_the_mapping_file_that_cannot_be_reached_is_refused(london, listed, problem):
    from sensors.mappings import MappingError, import_document

    Contact.objects.create(building=london, role=Contact.Role.PLUMBER, phone="+380440000002")
    with pytest.raises(MappingError) as refused:
        import_document({"buildings": [{"id": 10, "name": "London", "contacts": listed}]})
    assert problem in str(refused.value)
    assert list(Contact.objects.values_list("role", flat=True)) == ["plumber"]  # nothing half-imported


def test_set_map_gives_a_building_or_a_shelter_its_map(london, tmp_path):
    from django.core.management import CommandError, call_command

    from buildings.models import Shelter

    plan = tmp_path / "plan.png"
    plan.write_bytes(picture("PNG", (2560, 1280)))
    call_command("set_map", "10", str(plan))
    london.refresh_from_db()
    assert london.map_type == "image/png" and Image.open(io.BytesIO(bytes(london.map_image or b""))).size == (1280, 640)
    Shelter.objects.create(building=london, name="Parking")
    call_command("set_map", "10", str(plan), "--shelter", "Parking")
    assert Shelter.objects.get().map_version == 1
    (tmp_path / "notes.txt").write_text("not a picture")
    with pytest.raises(CommandError, match="not a picture that can be read"):
        call_command("set_map", "10", str(tmp_path / "notes.txt"))
    with pytest.raises(CommandError, match="No building 11"):
        call_command("set_map", "11", str(plan))
    with pytest.raises(CommandError, match=r"missing\.png: No such file"):
        call_command("set_map", "10", str(tmp_path / "missing.png"))
    call_command("set_map", "10", "-")
    london.refresh_from_db()
    assert london.map_image is None and london.map_version == 2


def pixel(image: Image.Image, x: int, y: int) -> tuple[int, ...]:
    """A pixel's bands, one or more."""
    value = image.getpixel((x, y))
    return value if isinstance(value, tuple) else (int(value or 0),)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def text_chunk_bomb() -> bytes:
    """A 10×10 PNG whose compressed text chunk inflates to 50 MB (about 50 kB on disk)."""
    small = picture("PNG", (10, 10))
    bomb = png_chunk(b"zTXt", b"key\x00\x00" + zlib.compress(b"\x00" * 50_000_000, 9))
    return small[:33] + bomb + small[33:]


def test_a_png_whose_text_inflates_past_pillows_limit_is_refused_not_a_500(admin_client, london, tmp_path):
    upload = SimpleUploadedFile("plan.png", text_chunk_bomb(), "image/png")
    page = admin_client.post("/admin/buildings/building/10/change/", building_form(map_upload=upload))
    assert page.status_code == 200 and "not a picture that can be read" in page.content.decode()
    from django.core.management import CommandError, call_command

    (tmp_path / "plan.png").write_bytes(text_chunk_bomb())
    with pytest.raises(CommandError, match="not a picture that can be read"):
        call_command("set_map", "10", str(tmp_path / "plan.png"))


def test_a_phones_jpeg_with_a_second_picture_inside_is_taken_as_a_jpeg(admin_client, london):
    data = io.BytesIO()
    Image.new("RGB", (400, 300), "red").save(data, "MPO", save_all=True, append_images=[Image.new("RGB", (400, 300))])
    upload = SimpleUploadedFile("photo.jpg", data.getvalue(), "image/jpeg")
    assert (
        admin_client.post("/admin/buildings/building/10/change/", building_form(map_upload=upload)).status_code == 302
    )
    london.refresh_from_db()
    stored = Image.open(io.BytesIO(bytes(london.map_image or b"")))
    red, _, _ = pixel(stored.convert("RGB"), 10, 10)
    assert (london.map_type, stored.format, red > 200) == ("image/jpeg", "JPEG", True)


@pytest.mark.parametrize("mode", ["P", "1", "L"])
def test_a_drawn_plan_keeps_every_thin_line_when_made_smaller(mode):
    plan = Image.new("L", (3000, 2000), 255)
    draw = ImageDraw.Draw(plan)
    for x in range(0, 3000, 10):
        draw.line([(x, 0), (x, 1999)], fill=0)
    data = io.BytesIO()
    (plan.convert(mode) if mode != "L" else plan).save(data, "PNG")
    data.seek(0)
    shown = Image.open(io.BytesIO(prepared(data).data)).convert("L")
    row = [pixel(shown, x, shown.height // 2)[0] for x in range(shown.width)]
    lines = sum(1 for x in range(1, len(row)) if row[x] < 200 <= row[x - 1])
    assert lines >= 295  # 300 lines 10 px apart, now 4.3 px apart: each still drawn


def test_a_transparent_webp_plan_keeps_its_background():
    plan = Image.new("RGBA", (800, 600), (0, 0, 0, 0))
    ImageDraw.Draw(plan).rectangle([100, 100, 700, 500], outline=(0, 0, 0, 255), width=5)
    data = io.BytesIO()
    plan.save(data, "WEBP", lossless=True)
    data.seek(0)
    stored = prepared(data)
    shown = Image.open(io.BytesIO(stored.data))
    assert stored.mime == "image/png" and pixel(shown, 10, 10)[3] == 0 and pixel(shown, 100, 300)[3] == 255
