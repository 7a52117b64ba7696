// The seed's scenarios, driven only through the page.
export const scenarios = [];
