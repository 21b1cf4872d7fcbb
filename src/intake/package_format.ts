/** The package format's name, alone so the phone app can use it without the center's parsers. */
export const PACKAGE_FORMAT = 'openprep-package/1';
