"""Tables list, delete, point-in-time restore, S3 pages, the keyboard and a
narrow window, in Chromium."""

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import ACCESS_KEY, SECRET


def make_table(ferry, name, index=False):
    attrs = [{"AttributeName": "id", "AttributeType": "S"}]
    extra = {}
    if index:
        attrs.append({"AttributeName": "kind", "AttributeType": "S"})
        extra["GlobalSecondaryIndexes"] = [{
            "IndexName": "by-kind", "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}]
    ferry.ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], AttributeDefinitions=attrs, **extra)


def test_sign_in_with_the_keyboard_then_delete_a_table_after_confirming(browser, ferry):
    make_table(ferry, "Scratch")
    b = browser
    b.go("/tables")
    b.fill("input[name=accessKeyId]", ACCESS_KEY)
    b.fill("input[name=secretAccessKey]", SECRET).send_keys(Keys.ENTER)
    b.find("#tables [data-table='Scratch']")
    row = b.driver.find_element(By.XPATH, "//tr[.//a[@data-table='Scratch']]")
    row.find_element(By.XPATH, ".//button[normalize-space(.)='Delete']").click()
    # Escape cancels: nothing is deleted.
    b.find("dialog input").send_keys(Keys.ESCAPE)
    assert "Scratch" in ferry.ddb.list_tables()["TableNames"]
    row = b.driver.find_element(By.XPATH, "//tr[.//a[@data-table='Scratch']]")
    row.find_element(By.XPATH, ".//button[normalize-space(.)='Delete']").click()
    confirm = b.find("dialog button[type=submit]")
    assert not confirm.is_enabled()
    b.find("dialog input").send_keys("confirm")
    confirm.click()
    b.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, "#tables [data-table='Scratch']"))
    assert "Scratch" not in ferry.ddb.list_tables()["TableNames"]


def test_restore_a_table_to_a_point_in_time(signed_in, ferry):
    make_table(ferry, "Inventory", index=True)
    ferry.ddb.update_continuous_backups(TableName="Inventory", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    for i in range(4):
        ferry.ddb.put_item(TableName="Inventory", Item={"id": {"S": f"i{i}"}, "kind": {"S": "bolt"}})
    b = signed_in
    b.go("/tables")
    b.find("#tables [data-table='Inventory']")
    b.shot("tables", doc=True)
    b.go("/tables/Inventory")
    assert "by-kind" in b.text_of("main")
    b.click("#restore")
    b.fill("#restore-target", "Inventory-restored")
    b.click("#restore-submit")
    b.wait_text("h1", "Inventory-restored")
    b.find("#table-status .badge[data-status='ACTIVE']")
    b.find("#pitr .badge")
    assert len(ferry.ddb.scan(TableName="Inventory-restored")["Items"]) == 4


def test_s3_pages_and_a_narrow_window(signed_in, ferry):
    ferry.s3.create_bucket(Bucket="browse-me")
    ferry.s3.put_object(Bucket="browse-me", Key="data/a.json", Body=b'{"a": 1}')
    b = signed_in
    b.go("/s3")
    b.click_text("button", "browse-me")
    b.click_text("button", "data/")
    b.click_text("button", "a.json")
    assert b.wait_text("#object-text", '"a": 1') == '{\n  "a": 1\n}'
    b.go("/s3/browse-me/data%2F")
    b.find(".s3-table")
    b.shot("s3-browser", doc=True)

    b.driver.set_window_size(390, 844)
    b.go("/imports/new")
    b.find("#source-url")
    assert b.driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    assert b.find("#nav a[data-section='tables']").is_displayed()
    b.shot("narrow-import-wizard", doc=True)


def test_the_tables_list_shows_one_page_of_a_hundred_at_a_time(signed_in, ferry):
    for i in range(101):
        make_table(ferry, f"page-{i:03}")
    b = signed_in
    b.go("/tables")
    b.find("#tables [data-table='page-000']")
    assert len(b.driver.find_elements(By.CSS_SELECTOR, "#tables tbody tr")) == 100
    b.click_text("button", "Next page ›")
    b.wait_text(".pager", "Page 2")
    assert b.driver.find_elements(By.CSS_SELECTOR, "#tables [data-table='page-100']")
    b.click_text("button", "‹ Previous page")
    b.wait_text(".pager", "Page 1")
    for i in range(101):
        ferry.ddb.delete_table(TableName=f"page-{i:03}")
