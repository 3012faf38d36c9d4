"""Browser pages tracked by name (fixture): a page forgotten, a page leaked on error."""


class PageRegistry:
    def __init__(self):
        self.pages = {}

    def close_page(self, name):
        if name in self.pages:
            del self.pages[name]  # expect: CIA507

    async def title_of(self, browser, url):
        page = await browser.new_page()
        await page.goto(url)
        title = await page.title()
        await page.close()  # expect: CIA506
        return title
