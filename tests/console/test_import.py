"""The guide's "Import from S3" console flow and the Imports tab, in Chromium:
upload a CSV through the console's S3 page, import it with the wizard (Browse
S3, CSV options, new table, review, Import), watch it complete, and read the
error log of an import with bad rows."""

import urllib.parse

from selenium.webdriver.common.by import By

CSV = "pk,title,year\nalbum-1,The Dark Side of the Moon,1973\nalbum-2,Abbey Road,1969\nalbum-3,Kind of Blue,1959\n"
BAD_CSV = "id;name\n1;one\nnot-a-number;two\n3;three\n"


def test_upload_a_csv_and_import_it_through_the_wizard(signed_in, ferry, tmp_path):
    b = signed_in
    # Upload through the console's own S3 page (a signed PutObject from the browser).
    b.go("/s3")
    b.fill("#bucket-name", "imports-src")
    b.click_text("button", "Create bucket")
    b.click_text("button", "imports-src")
    path = tmp_path / "albums.csv"
    path.write_text(CSV)
    b.find("#upload-file").send_keys(str(path))
    b.click("#upload")
    b.wait_text(".s3-table", "albums.csv")
    assert ferry.s3.get_object(Bucket="imports-src", Key="albums.csv")["Body"].read().decode() == CSV
    ferry.s3.copy_object(Bucket="imports-src", Key="music/albums.csv", CopySource={"Bucket": "imports-src", "Key": "albums.csv"})

    # Imports tab: empty at first.
    b.go("/imports")
    b.wait_text(".empty", "No imports in the last 90 days.")
    b.click("#new-import")
    # Step 1: Browse S3 to the prefix, CSV with the first line as header.
    b.click("#browse-s3")
    b.click_text("button", "imports-src")
    b.click_text("button", "music/")
    b.wait_text(".s3-table", "albums.csv")
    assert "103 bytes" in b.text_of(".s3-table")
    b.shot("browse-s3", doc=True)
    b.click("#pick-choose")
    assert b.find("#source-url").get_attribute("value") == "s3://imports-src/music/"
    b.choose("format", "CSV")
    b.shot("import-wizard", doc=True)
    b.click("#next")
    # Step 2: the new table.
    b.fill("#table-name", "Albums")
    b.fill("#pk-name", "pk")
    b.click("#next")
    # Step 3: review, then Import.
    review = b.text_of("main")
    for expected in ["s3://imports-src/music/", "CSV", "First line of the source file", "Albums", "On-demand"]:
        assert expected in review
    b.shot("import-review", doc=True)
    b.click("#import-submit")
    b.find(".badge[data-status='COMPLETED']")
    assert b.text_of("#count-imported") == "3"
    assert b.text_of("#count-processed") == "3"
    assert b.text_of("#no-errors") == "No errors were logged for this import."
    b.shot("import-details", doc=True)
    items = ferry.ddb.scan(TableName="Albums")["Items"]
    assert sorted(i["pk"]["S"] for i in items) == ["album-1", "album-2", "album-3"]

    # The table is listed, Active.
    b.go("/tables")
    b.find("#tables [data-table='Albums']")
    row = b.driver.find_element(By.XPATH, "//tr[.//a[@data-table='Albums']]")
    assert "ACTIVE" in row.text and "pk (S)" in row.text


def test_an_import_with_bad_rows_shows_its_error_log(signed_in, ferry):
    ferry.s3.create_bucket(Bucket="imports-bad")
    ferry.s3.put_object(Bucket="imports-bad", Key="numbers/part.csv", Body=BAD_CSV.encode())
    b = signed_in
    b.go("/imports/new")
    b.fill("#source-url", "s3://imports-bad/numbers/")
    b.choose("format", "CSV")
    b.choose("csv-delim", "custom")
    b.fill("#csv-delimiter", "/")
    b.click("#next")
    # The console checks DynamoDB's delimiter rule before sending anything.
    assert b.wait_text("#wizard-error", "[,;:|\\t ]")
    b.fill("#csv-delimiter", ";")
    b.click("#next")
    b.fill("#table-name", "Numbers")
    b.fill("#pk-name", "id")
    b.find("#pk-type").send_keys("Number")
    b.click("#next")
    b.click("#import-submit")
    # DynamoDB fails an import whose items fail validation, and says where to look.
    b.find(".badge[data-status='FAILED']")
    assert b.text_of("#failure") == (
        "ItemValidationError: Some of the items failed validation checks and were not imported. "
        "Please check CloudWatch error logs for more details.")
    assert b.text_of("#count-errors") == "1"
    log = b.wait_text("#log-events", "not-a-number")
    assert "1 event." in b.text_of("#error-log")
    b.driver.execute_script("document.getElementById('error-log').scrollIntoView()")
    b.shot("import-error-log", doc=True)
    arn = b.driver.current_url.split("#/imports/")[1]
    imported = ferry.ddb.describe_import(ImportArn=urllib.parse.unquote(arn))["ImportTableDescription"]["ImportedItemCount"]
    assert b.text_of("#count-imported") == str(imported)
    assert "not-a-number" in log

    # The Imports tab lists both imports.
    b.go("/imports")
    rows = b.find("#imports").find_elements(By.CSS_SELECTOR, "tbody tr")
    assert len(rows) == 2
    assert {r.find_element(By.CSS_SELECTOR, ".badge").get_attribute("data-status") for r in rows} == {"COMPLETED", "FAILED"}
    b.shot("imports", doc=True)
