"""The console's serving, sign-in, tables and the item editor, in Chromium."""

import urllib.error
import urllib.request

import pytest
from selenium.webdriver.common.by import By

from conftest import ACCESS_KEY


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_a_browser_at_the_root_is_sent_to_the_console_and_sdks_are_not(ferry):
    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(ferry.endpoint + "/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    with pytest.raises(urllib.error.HTTPError) as e:
        opener.open(req)
    assert e.value.code == 302
    assert e.value.headers["Location"] == "/_console/"
    # The signed S3 ListBuckets at the same path is S3's answer, untouched.
    assert "Buckets" in ferry.s3.list_buckets()
    # The console's files need no credentials (they hold no data).
    with urllib.request.urlopen(ferry.console) as resp:
        assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "Ferry console" in resp.read().decode()


def test_wrong_credentials_show_the_apis_error_and_nothing_else(browser, ferry):
    browser.go("/tables")
    browser.fill("input[name=accessKeyId]", ACCESS_KEY)
    browser.fill("input[name=secretAccessKey]", "not-the-secret")
    browser.shot("login", doc=True)
    browser.click("#login button[type=submit]")
    alert = browser.find("#login .alert.error")
    assert alert.text.startswith("InvalidSignatureException: The request signature we calculated does not match")
    # Nothing of the server is shown: no navigation, no tables.
    assert browser.driver.find_elements(By.CSS_SELECTOR, "#create-table") == []
    assert not browser.driver.find_element(By.ID, "nav").is_displayed()


def test_a_server_without_credentials_takes_the_prefilled_defaults(browser, open_ferry):
    open_ferry.ddb.create_table(
        TableName="Open", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    browser.ferry = open_ferry
    browser.go("/tables")
    assert browser.find("input[name=accessKeyId]").get_attribute("value") == "ferry"
    assert "without --credentials" in browser.text_of("#login")
    browser.click("#login button[type=submit]")
    browser.find("#tables [data-table='Open']")


def test_create_a_table_then_create_edit_and_delete_an_item(signed_in, ferry):
    b = signed_in
    b.click("#create-table")
    b.fill("#table-name", "Music")
    b.fill("#pk-name", "Artist")
    b.fill("#sk-name", "SongTitle")
    b.shot("create-table", doc=True)
    b.click("#create-submit")
    b.wait_text("h1", "Music")
    assert ferry.ddb.describe_table(TableName="Music")["Table"]["KeySchema"] == [
        {"AttributeName": "Artist", "KeyType": "HASH"}, {"AttributeName": "SongTitle", "KeyType": "RANGE"}]

    # Items explorer: empty, then create an item in the editor.
    b.click_text("a", "Explore table items")
    b.wait_text("#results", "No items matched.")
    b.click("#create-item")
    editor = b.find("#item-json")
    editor.clear()
    editor.send_keys('{"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Call Me Today"}, "Year": {"N": "2024"}}')
    b.click("#save-item")
    b.wait_text("#counts", "1 item returned")
    assert ferry.ddb.get_item(TableName="Music", Key={"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Call Me Today"}})["Item"]["Year"] == {"N": "2024"}

    # Edit it: a JSON mistake is caught in the page, a DynamoDB one is the API's own message.
    b.click(".open-item")
    editor = b.find("#item-json")
    editor.clear()
    editor.send_keys('{"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Call Me Today"}, "Year": {"N": "2024"},}')
    b.click("#save-item")
    assert "Invalid JSON" in b.text_of("#editor-error")
    editor.clear()
    editor.send_keys('{"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Call Me Today"}, "Year": {"N": "twenty"}}')
    b.click("#save-item")
    assert b.wait_text("#editor-error", "ValidationException").startswith("ValidationException: ")
    b.shot("item-editor-error", doc=True)
    # The refused write changed nothing.
    assert ferry.ddb.get_item(TableName="Music", Key={"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Call Me Today"}})["Item"]["Year"] == {"N": "2024"}
    editor.clear()
    editor.send_keys('{"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Call Me Today"}, "Year": {"N": "2025"}, "Genre": {"S": "Country"}}')
    b.click("#save-item")
    b.wait_text("#items", "Country")
    item = ferry.ddb.get_item(TableName="Music", Key={"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Call Me Today"}})["Item"]
    assert item["Year"] == {"N": "2025"} and item["Genre"] == {"S": "Country"}
    b.shot("items", doc=True)

    # Delete it.
    b.click(".open-item")
    b.click("#delete-item")
    b.click_text("button", "Delete")
    b.wait_text("#results", "No items matched.")
    assert "Item" not in ferry.ddb.get_item(TableName="Music", Key={"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Call Me Today"}})


def test_query_with_a_key_condition_and_a_filter_pages_by_last_evaluated_key(signed_in, ferry):
    ferry.ddb.create_table(
        TableName="Events", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "n", "AttributeType": "N"}])
    for i in range(60):
        ferry.ddb.put_item(TableName="Events", Item={"pk": {"S": "a" if i < 50 else "b"}, "n": {"N": str(i)}, "odd": {"BOOL": i % 2 == 1}})
    b = signed_in
    b.go("/tables/Events/items")
    b.choose("mode", "query")
    b.fill("#pk-value", "a")
    b.find("#sk-op").send_keys(">=")
    b.fill("#sk-value", "10")
    b.click("#add-filter")
    b.fill(".filter .f-name", "odd")
    b.find(".filter .f-type").send_keys("Boolean")
    b.fill(".filter .f-value", "true")
    b.find("#page-size").send_keys("25")
    b.click("#run")
    # Items 10..34 read on page 1 (25 scanned), of which the odd ones are returned.
    assert b.wait_text("#counts", "Page 1") == "Page 1 · 12 items returned · 25 scanned"
    b.click("#next-page")
    assert b.wait_text("#counts", "Page 2") == "Page 2 · 8 items returned · 15 scanned"
    b.click("#prev-page")
    b.wait_text("#counts", "Page 1")
