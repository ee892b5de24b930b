"""The guide's "Export to S3" console flow and the Exports tab, in Chromium:
enable PITR on the table overview, run a full export and an incremental one
through the wizard (Browse S3, period, view type), watch them complete and
open the exported manifest."""

import urllib.parse

from selenium.webdriver.common.by import By


def put(ferry, n, start=0):
    for i in range(start, start + n):
        ferry.ddb.put_item(TableName="Orders", Item={"pk": {"S": f"order-{i}"}, "total": {"N": str(i * 10)}})


def test_full_and_incremental_exports_then_the_manifest(signed_in, ferry):
    ferry.ddb.create_table(
        TableName="Orders", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    ferry.s3.create_bucket(Bucket="exports-dest")
    b = signed_in

    # Table overview: enable point-in-time recovery.
    b.go("/tables/Orders")
    b.click("#pitr-enable")
    b.find("#latest")
    assert "ENABLED" in b.text_of("#pitr")
    assert ferry.ddb.describe_continuous_backups(TableName="Orders")["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    # The wizard offers whole seconds; keep the first writes clear of the enabling second.
    ferry.advance_clock(2)
    put(ferry, 5)
    b.go("/tables/Orders")
    b.find("#latest")
    b.shot("table-overview", doc=True)

    # Full export at the current time, destination chosen with Browse S3.
    b.click_text("a", "Export to S3")
    assert b.find("#source-table").get_attribute("value") == "Orders"
    b.find("#pitr-window")
    b.click("#browse-s3")
    b.click_text("button", "exports-dest")
    b.click("#pick-choose")
    assert b.find("#dest-url").get_attribute("value") == "s3://exports-dest/"
    b.click("#export-submit")
    b.find(".badge[data-status='COMPLETED']")
    assert "Full export" in b.text_of("main")
    b.shot("export-details", doc=True)
    full_arn = urllib.parse.unquote(b.driver.current_url.split("#/exports/")[1])
    assert ferry.ddb.describe_export(ExportArn=full_arn)["ExportDescription"]["ItemCount"] == 5
    b.click("#manifest-summary")
    summary = b.wait_text("#object-text", '"itemCount": 5')
    assert '"exportType": "FULL_EXPORT"' in summary
    b.shot("export-manifest", doc=True)
    b.driver.back()
    b.click("#data-folder")
    b.wait_text(".s3-table", ".json.gz")

    # Later changes, then an incremental export over them (the server's clock moves 20 minutes).
    put(ferry, 3, start=5)
    ferry.advance_clock(20 * 60)
    exports_before = len(ferry.ddb.list_exports()["ExportSummaries"])

    b.go("/exports/new?table=Orders")
    b.find("#pitr-window")
    b.fill("#dest-url", "s3://exports-dest/incremental")
    b.choose("export-type", "INCREMENTAL_EXPORT")
    b.choose("view-type", "NEW_IMAGE")
    b.driver.execute_script("window.scrollTo(0, 0)")
    b.shot("export-wizard", doc=True)
    start = b.find("#from-time").get_attribute("value")
    end = b.find("#to-time").get_attribute("value")
    assert start and end
    # A period shorter than 15 minutes is refused by the API, with its own message; nothing starts.
    b.set_value("#to-time", start[:-2] + "59" if start.endswith("00") else start)
    b.click("#export-submit")
    assert b.wait_text("#wizard-error", "Exception").startswith("InvalidExportTimeException: ")
    assert len(ferry.ddb.list_exports()["ExportSummaries"]) == exports_before
    b.set_value("#to-time", end)
    b.click("#export-submit")
    b.find(".badge[data-status='COMPLETED']")
    details = b.text_of("main")
    assert "Incremental export" in details and "New images only" in details
    b.click("#manifest-summary")
    summary = b.wait_text("#object-text", '"exportType": "INCREMENTAL_EXPORT"')
    assert '"itemCount": 8' in summary
    assert "s3://exports-dest/incremental" in b.text_of("main")

    # The Exports tab lists both.
    b.go("/exports")
    rows = b.find("#exports").find_elements(By.CSS_SELECTOR, "tbody tr")
    assert [r.find_element(By.CSS_SELECTOR, "td:nth-child(4)").text for r in rows] == ["Incremental", "Full"]
    b.shot("exports", doc=True)

    # Relative mode: the last 15 minutes before submission, by the server's clock.
    b.go("/exports/new?table=Orders")
    b.find("#pitr-window")
    b.fill("#dest-url", "s3://exports-dest/relative")
    b.choose("export-type", "INCREMENTAL_EXPORT")
    b.choose("period-mode", "relative")
    b.find("#relative-period").send_keys("Last 15 minutes")
    b.click("#export-submit")
    b.find(".badge[data-status='COMPLETED']")
    arn = urllib.parse.unquote(b.driver.current_url.split("#/exports/")[1])
    spec = ferry.ddb.describe_export(ExportArn=arn)["ExportDescription"]["IncrementalExportSpecification"]
    assert (spec["ExportToTime"] - spec["ExportFromTime"]).total_seconds() == 900
    assert spec["ExportViewType"] == "NEW_AND_OLD_IMAGES"
