/** The value of the unlabelled series `name` in a server's /metrics scrape; NaN when it has none. */
export async function scrapedValue(baseUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text()
  return Number(
    text
      .split('\n')
      .find((line) => line.startsWith(`${name} `))
      ?.split(' ')[1] ?? NaN
  )
}
